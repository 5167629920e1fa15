# Arithmetic task files (experiments/tasks/arith_*.test.jsonl): reproducible from the seed, disjoint
# from the train split, answers recomputed and accepted by judge.py. Standard-library python3 only
# (like the CLI tests' JSON checks).
add_test(NAME tasks_arith COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/tasks_arith_check.py ${CMAKE_SOURCE_DIR})
set_tests_properties(tasks_arith PROPERTIES TIMEOUT 180 LABELS "tasks")
