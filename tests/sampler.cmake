# The samplers, proven on toy worlds against exact answers.
psamp_c_test(NAME test_sampler_toy SOURCES test_sampler_toy.c LABELS statistical TIMEOUT 600)
# The mixing diagnostic ranks settings as the exact TV to p^alpha does: one test per world
# and alpha (about 10 s of CPU each in Release; 78 s whole ran 670 s wall at load 18, one
# alpha's two worlds 20 s and 280 s), so each keeps 3x headroom on its 600 s timeout at that
# load and they share the cores. The sanitizers, which run it several times slower, take a
# reduced grid at one alpha (42 s wall whole at load 16-20).
add_executable(test_mixing_toy test_mixing_toy.c)
target_compile_options(test_mixing_toy PRIVATE ${PSAMP_C_WARNINGS})
target_link_libraries(test_mixing_toy PRIVATE psamp_testlib psamp_all)
target_compile_definitions(test_mixing_toy PRIVATE PSAMP_FIXTURES="${PSAMP_FIXTURES}"
  PSAMP_SOURCE_DIR="${CMAKE_SOURCE_DIR}" PSAMP_BINARY_DIR="${CMAKE_BINARY_DIR}")
if(PSAMP_SANITIZE)
  set(mixing_runs "reduced_trap:--reduced --world trap" "reduced_eos:--reduced --world eos")
else()
  set(mixing_runs)
  foreach(alpha 2 4 3 8)
    foreach(world trap eos)
      list(APPEND mixing_runs "alpha${alpha}_${world}:--alpha ${alpha} --world ${world}")
    endforeach()
  endforeach()
endif()
foreach(run ${mixing_runs})
  string(REPLACE ":" ";" parts "${run}")
  list(GET parts 0 suffix)
  list(GET parts 1 args)
  separate_arguments(args)
  add_test(NAME test_mixing_toy_${suffix} COMMAND test_mixing_toy ${args})
  set_tests_properties(test_mixing_toy_${suffix} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600 LABELS statistical)
endforeach()
# Many prompts in one batch (psamp_sample_prompts) give each prompt's run alone.
psamp_c_test(NAME test_sampler_prompts SOURCES test_sampler_prompts.c LABELS sampler)
