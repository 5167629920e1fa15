# The samplers, proven on toy worlds against exact answers.
psamp_c_test(NAME test_sampler_toy SOURCES test_sampler_toy.c LABELS statistical TIMEOUT 600)
# The mixing diagnostic ranks settings as the exact TV to p^alpha does (a reduced grid
# under the sanitizers, which run it several times slower; 42 s wall at load 16-20).
if(PSAMP_SANITIZE)
  psamp_c_test(NAME test_mixing_toy SOURCES test_mixing_toy.c LABELS statistical ARGS --reduced TIMEOUT 600)
else()
  # One test per alpha (about 20 s of CPU each, 78 s whole, which ran 670 s wall at load 18):
  # each keeps 3x headroom on a 600 s timeout at that load, and they share the cores.
  add_executable(test_mixing_toy test_mixing_toy.c)
  target_compile_options(test_mixing_toy PRIVATE ${PSAMP_C_WARNINGS})
  target_link_libraries(test_mixing_toy PRIVATE psamp_testlib psamp_all)
  target_compile_definitions(test_mixing_toy PRIVATE PSAMP_FIXTURES="${PSAMP_FIXTURES}"
    PSAMP_SOURCE_DIR="${CMAKE_SOURCE_DIR}" PSAMP_BINARY_DIR="${CMAKE_BINARY_DIR}")
  foreach(alpha 2 4 3 8)
    add_test(NAME test_mixing_toy_alpha${alpha} COMMAND test_mixing_toy --alpha ${alpha})
    set_tests_properties(test_mixing_toy_alpha${alpha} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600
      LABELS statistical)
  endforeach()
endif()
