# The layering of host/ (docs/architecture.md) enforced by the build: each probe compiles one
# line, `#include "HEADER"`, in the include context of a part's library, for a header the part
# must not see, and must fail with the compiler's missing-header error; its control includes
# a header the part may use in the same context and must build, so a probe fails for the
# right reason only. The link probe calls a function of a part the sampler must not link.
# Label `layering`; the probes build targets of this tree, one at a time (RESOURCE_LOCK).
set(PSAMP_LAYERING_DIR ${CMAKE_CURRENT_BINARY_DIR}/layering)

function(psamp_layering_target target part source)
  add_library(${target} OBJECT EXCLUDE_FROM_ALL ${source})
  target_compile_options(${target} PRIVATE ${PSAMP_C_WARNINGS})
  target_link_libraries(${target} PRIVATE ${part})
endfunction()

# psamp_layering_probe(PART target FORBIDDEN header ALLOWED header)
function(psamp_layering_probe)
  cmake_parse_arguments(P "" "PART;FORBIDDEN;ALLOWED" "" ${ARGN})
  string(REGEX REPLACE "\\.[a-z]+$" "" stem ${P_FORBIDDEN})
  set(name layering_${P_PART}_no_${stem})
  foreach(kind forbidden allowed)
    if(kind STREQUAL "forbidden")
      set(header ${P_FORBIDDEN})
    else()
      set(header ${P_ALLOWED})
    endif()
    set(source ${PSAMP_LAYERING_DIR}/${name}_${kind}.c)
    file(CONFIGURE OUTPUT ${source} CONTENT
      "/* ${kind}: ${P_PART} including ${header} (tests/layering.cmake) */\n#include \"${header}\"\nint ${name}_${kind}(void);\nint ${name}_${kind}(void) { return 0; }\n")
    psamp_layering_target(${name}_${kind} ${P_PART} ${source})
  endforeach()
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${CMAKE_BINARY_DIR}
    -DCONTROL=${name}_allowed -DPROBE=${name}_forbidden -DHEADER=${P_FORBIDDEN}
    -P ${CMAKE_CURRENT_SOURCE_DIR}/layering/probe.cmake)
  # 300 s: a probe compiles (up to 6 s of CPU under the sanitizers, 76 s wall at load 15).
  set_tests_properties(${name} PROPERTIES LABELS "unit;layering" TIMEOUT 300
    RESOURCE_LOCK psamp_build_tree)
endfunction()

# The sampler reaches engines only through the seam (engine.h).
psamp_layering_probe(PART psamp_sampler FORBIDDEN engine_cpu.h ALLOWED engine.h)
psamp_layering_probe(PART psamp_sampler FORBIDDEN engine_cuda.h ALLOWED engine_slots.h)
psamp_layering_probe(PART psamp_sampler FORBIDDEN opt_checkpoint.h ALLOWED philox.h)
psamp_layering_probe(PART psamp_sampler FORBIDDEN engine_toy.h ALLOWED sampler.h)
# The seam knows no sampler; util knows no part.
psamp_layering_probe(PART psamp_engine FORBIDDEN sampler.h ALLOWED engine.h)
psamp_layering_probe(PART psamp_util FORBIDDEN engine.h ALLOWED error.h)
# Toy worlds need nothing of OPT.
psamp_layering_probe(PART psamp_engine_toy FORBIDDEN opt_checkpoint.h ALLOWED toy_world.h)
# Only the CUDA engine calls the kernels.
psamp_layering_probe(PART psamp_engine_cpu FORBIDDEN kernels.h ALLOWED opt_checkpoint.h)
psamp_layering_probe(PART psamp_backend FORBIDDEN kernels.h ALLOWED model.h)
# The model and the tokenizer know no command line, no engine.
psamp_layering_probe(PART psamp_model FORBIDDEN cli.h ALLOWED opt_config.h)
psamp_layering_probe(PART psamp_model FORBIDDEN engine.h ALLOWED safetensors.h)
psamp_layering_probe(PART psamp_tokenizer FORBIDDEN cli_run.h ALLOWED tokenizer.h)
# Experiments and sweeps run the sampler, never a model or the backend.
psamp_layering_probe(PART psamp_experiments FORBIDDEN model.h ALLOWED toy_exact.h)
psamp_layering_probe(PART psamp_sweep FORBIDDEN opt_forward_cpu.h ALLOWED sampler.h)

# A call across the rules fails at link time too: a program of the sampler's links that
# calls the CPU engine's constructor (declared by hand, as a file could) has no definition
# for it; its control calls the sampler's own defaults.
foreach(kind forbidden allowed)
  set(source ${PSAMP_LAYERING_DIR}/layering_sampler_link_${kind}.c)
  if(kind STREQUAL "forbidden")
    set(body "void *psamp_engine_cpu_create(void);\nint main(void) { return psamp_engine_cpu_create() != 0; }\n")
  else()
    set(body "#include \"sampler.h\"\nint main(void) { return psamp_sampler_defaults().n_chains < 0; }\n")
  endif()
  file(CONFIGURE OUTPUT ${source} CONTENT "/* tests/layering.cmake */\n${body}")
  add_executable(layering_sampler_link_${kind} EXCLUDE_FROM_ALL ${source})
  target_link_libraries(layering_sampler_link_${kind} PRIVATE psamp_sampler)
endforeach()
add_test(NAME layering_sampler_link_no_engine_cpu COMMAND ${CMAKE_COMMAND}
  -DBUILD_DIR=${CMAKE_BINARY_DIR} -DCONTROL=layering_sampler_link_allowed
  -DPROBE=layering_sampler_link_forbidden -DSYMBOL=psamp_engine_cpu_create
  -P ${CMAKE_CURRENT_SOURCE_DIR}/layering/probe.cmake)
set_tests_properties(layering_sampler_link_no_engine_cpu PROPERTIES LABELS "unit;layering"
  TIMEOUT 300 RESOURCE_LOCK psamp_build_tree)
