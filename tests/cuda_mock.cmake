# The CUDA engine's host code and the GPU tests, run against a CPU mock of the CUDA runtime,
# cuBLAS and the kernel launchers (tests/cuda_mock): wherever the CUDA headers are
# installed, with or without a GPU, and under the sanitizers (label mock). This checks the
# engine's plumbing (buffers, chunks, graphs, forks, slots) and the tests' own references;
# the CUDA kernels themselves are checked by the gpu tests on a GPU.
if(NOT CUDAToolkit_FOUND)
  find_package(CUDAToolkit QUIET)
endif()
if(CUDAToolkit_FOUND)
  file(GLOB PSAMP_MOCK_ENGINE_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/host/engine/cuda/*.c)
  add_library(psamp_cuda_mock STATIC ${PSAMP_MOCK_ENGINE_SOURCES}
    ${CMAKE_CURRENT_SOURCE_DIR}/cuda_mock/mock_runtime.c ${CMAKE_CURRENT_SOURCE_DIR}/cuda_mock/mock_blas.c
    ${CMAKE_CURRENT_SOURCE_DIR}/cuda_mock/mock_kernels.c)
  target_include_directories(psamp_cuda_mock PUBLIC ${CMAKE_SOURCE_DIR}/host/engine/cuda
    ${CMAKE_SOURCE_DIR}/kernels ${CMAKE_CURRENT_SOURCE_DIR}/cuda_mock)
  target_include_directories(psamp_cuda_mock SYSTEM PUBLIC ${CUDAToolkit_INCLUDE_DIRS})
  target_compile_options(psamp_cuda_mock PRIVATE ${PSAMP_C_WARNINGS})
  target_link_libraries(psamp_cuda_mock PUBLIC psamp_portable)
  foreach(name test_gpu_kernels test_gpu_attention test_gpu_gemv test_gpu_sample test_gpu_engine)
    add_executable(mock_${name} gpu/${name}.c gpu/gpu_test.c)
    target_compile_options(mock_${name} PRIVATE ${PSAMP_C_WARNINGS})
    target_link_libraries(mock_${name} PRIVATE psamp_testlib psamp_cuda_mock)
    target_compile_definitions(mock_${name} PRIVATE PSAMP_FIXTURES="${PSAMP_FIXTURES}" PSAMP_GPU_TEST_MOCK)
    if(name STREQUAL "test_gpu_engine")
      # One test per fixture model (each with every dtype and variant set): whole, it took
      # 85-266 s under the sanitizers at load against a 300 s timeout; each model takes 4 s
      # of CPU in Release, 12 s under the sanitizers (125-138 s wall at load 15: 600 s there).
      set(mock_engine_timeout 300)
      if(PSAMP_SANITIZE)
        set(mock_engine_timeout 600)
      endif()
      foreach(model opt-tiny-pre opt-tiny-post opt-tiny-pre-bf16)
        add_test(NAME mock_${name}_${model} COMMAND mock_${name} --model ${model})
        set_tests_properties(mock_${name}_${model} PROPERTIES TIMEOUT ${mock_engine_timeout} LABELS "mock")
      endforeach()
      continue()
    endif()
    add_test(NAME mock_${name} COMMAND mock_${name})
    set_tests_properties(mock_${name} PROPERTIES TIMEOUT 300 LABELS "mock")
  endforeach()
  # The tuned GEMM plans against the mock cuBLASLt's candidates and fake times (mock only:
  # it reads the mock's counters).
  add_executable(mock_test_gemm_tune cuda_mock/test_mock_gemm_tune.c)
  target_compile_options(mock_test_gemm_tune PRIVATE ${PSAMP_C_WARNINGS})
  target_link_libraries(mock_test_gemm_tune PRIVATE psamp_testlib psamp_cuda_mock)
  target_compile_definitions(mock_test_gemm_tune PRIVATE PSAMP_FIXTURES="${PSAMP_FIXTURES}")
  add_test(NAME mock_test_gemm_tune COMMAND mock_test_gemm_tune)
  set_tests_properties(mock_test_gemm_tune PROPERTIES TIMEOUT 300 LABELS "mock")
  # The room for slots against the mock's free memory (mock only: the test sets it).
  add_executable(mock_test_max_slots cuda_mock/test_mock_max_slots.c)
  target_compile_options(mock_test_max_slots PRIVATE ${PSAMP_C_WARNINGS})
  target_link_libraries(mock_test_max_slots PRIVATE psamp_testlib psamp_cuda_mock)
  target_compile_definitions(mock_test_max_slots PRIVATE PSAMP_FIXTURES="${PSAMP_FIXTURES}")
  add_test(NAME mock_test_max_slots COMMAND mock_test_max_slots)
  set_tests_properties(mock_test_max_slots PROPERTIES TIMEOUT 120 LABELS "mock")
endif()
