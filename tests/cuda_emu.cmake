# The real sources of the kernels that keep to kernel_emu.h's subset (kernels/attention_warp.cu,
# kernels/kv_append.cu, kernels/gemv.cu, kernels/layernorm_rows.cu, kernels/sample_onepass.cu
# and the decoders' kernels/decoder_*.cu), compiled as host C++ and run on a CPU emulator of thread blocks under the
# GPU tests' own checks, the rest of CUDA coming from the mock (label emu): the kernels'
# indexing, shuffles, merges and launch choices are checked here, without a GPU, before the
# first GPU run. Needs the CUDA headers, like the mock.
if(NOT CUDAToolkit_FOUND)
  find_package(CUDAToolkit QUIET)
endif()
if(CUDAToolkit_FOUND)
  enable_language(CXX)
  set(PSAMP_CXX_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-unknown-pragmas) # nvcc's unroll pragmas
  if(PSAMP_WERROR)
    list(APPEND PSAMP_CXX_WARNINGS -Werror)
  endif()
  file(GLOB PSAMP_EMU_ENGINE_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/host/engine/cuda/*.c)
  add_library(psamp_cuda_emu STATIC ${PSAMP_EMU_ENGINE_SOURCES}
    cuda_emu/kernel_emu.cpp cuda_emu/emu_attention_warp.cpp cuda_emu/emu_gemv.cpp
    cuda_emu/emu_layernorm_rows.cpp cuda_emu/emu_sample_onepass.cpp
    cuda_emu/emu_decoder_rmsnorm.cpp cuda_emu/emu_decoder_rope.cpp cuda_emu/emu_decoder_swiglu.cpp
    cuda_emu/emu_decoder_attention.cpp cuda_emu/emu_decoder_embed.cpp cuda_emu/emu_kv_append.cpp
    cuda_mock/mock_runtime.c cuda_mock/mock_blas.c cuda_mock/mock_kernels.c)
  set_target_properties(psamp_cuda_emu PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON)
  target_include_directories(psamp_cuda_emu PUBLIC ${CMAKE_SOURCE_DIR}/host/engine/cuda
    ${CMAKE_SOURCE_DIR}/kernels ${CMAKE_CURRENT_SOURCE_DIR}/cuda_mock
    ${CMAKE_CURRENT_SOURCE_DIR}/cuda_emu)
  target_include_directories(psamp_cuda_emu SYSTEM PUBLIC ${CUDAToolkit_INCLUDE_DIRS})
  target_compile_definitions(psamp_cuda_emu PRIVATE PSAMP_KERNEL_EMU PSAMP_MOCK_EMULATED_KERNELS EMBED_CHUNK_ROWS=37)
  target_compile_options(psamp_cuda_emu PRIVATE $<$<COMPILE_LANGUAGE:C>:${PSAMP_C_WARNINGS}>
    $<$<COMPILE_LANGUAGE:CXX>:${PSAMP_CXX_WARNINGS}>)
  target_link_libraries(psamp_cuda_emu PUBLIC psamp_portable)
  # The engine and sampling tests in --quick form (the engine: one model in fp16, every
  # variant set, graphs on; sampling: two vocabularies): the full ones pass too but take
  # minutes on the emulator.
  set(emu_programs test_gpu_attention test_gpu_gemv test_gpu_kernels test_gpu_sample test_gpu_engine
      test_gpu_decoder test_gpu_decoder_forward test_gpu_engine_decoder)
  # The fp8 cache on the trained model adds host-side test logic only (its kernels and engine
  # path run under the sanitizers in emu_test_gpu_engine_kv_fp8_first): Release only, where it
  # takes 22 s of CPU rather than 62.
  if(NOT PSAMP_SANITIZE)
    list(APPEND emu_programs test_gpu_kv_fp8_model)
  endif()
  foreach(name ${emu_programs})
    add_executable(emu_${name} gpu/${name}.c gpu/gpu_test.c)
    target_compile_options(emu_${name} PRIVATE ${PSAMP_C_WARNINGS})
    target_link_libraries(emu_${name} PRIVATE psamp_testlib psamp_cuda_emu)
    set_target_properties(emu_${name} PROPERTIES LINKER_LANGUAGE CXX)
    target_compile_definitions(emu_${name} PRIVATE PSAMP_FIXTURES="${PSAMP_FIXTURES}"
      PSAMP_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
    if(name STREQUAL "test_gpu_engine")
      # One test per set of kernel variants: the whole --quick run took 28 s of CPU
      # (Release; the sanitizers several times more), 288 s wall at load 15-20 against a
      # 300 s timeout. Split, the longest (halves) takes 10 s of CPU, and the parts share the
      # cores. Under the sanitizers, only first, halves-split, halves and tune-halves run:
      # between them every value of every variant (the defaults' values included) and the
      # batched and graph checks; default, biasrelu and tune are combinations of those
      # values, left to the Release build.
      set(emu_variants first halves-split halves tune-halves)
      set(emu_timeout 300)
      if(PSAMP_SANITIZE)
        set(emu_timeout 600)
      endif()
      if(NOT PSAMP_SANITIZE)
        list(APPEND emu_variants default biasrelu tune fused)
      endif()
      # Under the sanitizers halves and tune-halves took 25 and 12 s of CPU, 360 and 200 s
      # wall at load 15: each runs as two tests, the comparisons and the batched checks, and
      # the emulator's tests there get 600 s.
      foreach(variant ${emu_variants})
        if(PSAMP_SANITIZE AND (variant STREQUAL "halves" OR variant STREQUAL "tune-halves"))
          foreach(part checks batch)
            add_test(NAME emu_${name}_${variant}_${part} COMMAND emu_${name} --quick --variant ${variant} --part ${part})
            set_tests_properties(emu_${name}_${variant}_${part} PROPERTIES TIMEOUT ${emu_timeout} LABELS "emu")
          endforeach()
        else()
          add_test(NAME emu_${name}_${variant} COMMAND emu_${name} --quick --variant ${variant})
          set_tests_properties(emu_${name}_${variant} PROPERTIES TIMEOUT ${emu_timeout} LABELS "emu")
        endif()
      endforeach()
      # The fp8 KV cache through the whole engine, fp16 and bf16 weights, against the CPU
      # engine and the dtype's own cache: the fused append (default), the separate append
      # under split-attention variants (first: fp8 still runs the warp kernels) and the
      # overlapping halves. 16-35 s of CPU each in Release; under the sanitizers only first.
      set(fp8_runs "first:opt-tiny-pre")
      if(NOT PSAMP_SANITIZE)
        list(APPEND fp8_runs "default:opt-tiny-pre-bf16" "halves:opt-tiny-post")
      endif()
      foreach(run ${fp8_runs})
        string(REPLACE ":" ";" parts ${run})
        list(GET parts 0 variant)
        list(GET parts 1 model)
        add_test(NAME emu_${name}_kv_fp8_${variant} COMMAND emu_${name} --kv fp8 --variant ${variant} --model ${model})
        set_tests_properties(emu_${name}_kv_fp8_${variant} PROPERTIES TIMEOUT ${emu_timeout} LABELS "emu")
      endforeach()
      continue()
    endif()
    if(name STREQUAL "test_gpu_engine_decoder")
      # The whole CUDA engine for Qwen2 / Llama / Phi-3 through engine.h against the CPU
      # engine, one test per fixture (the EOS and error checks run with none named: their own
      # test).
      foreach(model qwen2-tiny-gqa qwen2-tiny-mqa-bf16 llama-tiny-gqa-llama3rope llama-tiny-mha-f16
              phi3-tiny-longrope)
        add_test(NAME emu_${name}_${model} COMMAND emu_${name} --model ${model})
        set_tests_properties(emu_${name}_${model} PROPERTIES TIMEOUT 300 LABELS "emu")
      endforeach()
      add_test(NAME emu_${name}_errors COMMAND emu_${name} --errors-only)
      set_tests_properties(emu_${name}_errors PROPERTIES TIMEOUT 300 LABELS "emu")
      continue()
    endif()
    if(name STREQUAL "test_gpu_kv_fp8_model")
      # One problem per family, two chains, 32 tokens: the program's checks on the block
      # emulator, which takes ~1 s of CPU a sample here (the measurement in RESULTS.md is the
      # same program at a larger size, run by hand).
      add_test(NAME emu_${name} COMMAND emu_${name} --problems 1 --chains 2 --tokens 32)
    elseif(name STREQUAL "test_gpu_sample")
      add_test(NAME emu_${name} COMMAND emu_${name} --quick)
    else()
      add_test(NAME emu_${name} COMMAND emu_${name})
    endif()
    set_tests_properties(emu_${name} PROPERTIES TIMEOUT 300 LABELS "emu")
  endforeach()
endif()
