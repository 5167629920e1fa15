# The samplers, proven on toy worlds against exact answers.
psamp_c_test(NAME test_sampler_toy SOURCES test_sampler_toy.c LABELS statistical TIMEOUT 600)
# The mixing diagnostic ranks settings as the exact TV to p^alpha does (a reduced grid
# under the sanitizers, which run it several times slower). The full build's grid takes
# 90 s of CPU; 5.4 minutes wall on the 2-core machine at load 8-14.
if(PSAMP_SANITIZE)
  psamp_c_test(NAME test_mixing_toy SOURCES test_mixing_toy.c LABELS statistical ARGS --reduced TIMEOUT 600)
else()
  psamp_c_test(NAME test_mixing_toy SOURCES test_mixing_toy.c LABELS statistical TIMEOUT 1200)
endif()
