# The samplers, proven on toy worlds against exact answers.
psamp_c_test(NAME test_sampler_toy SOURCES test_sampler_toy.c LABELS statistical TIMEOUT 600)
