# OPT checkpoint loading, the CPU engine against Hugging Face fixtures.
psamp_c_test(NAME test_safetensors SOURCES test_safetensors.c test_files.c LABELS unit opt)
psamp_c_test(NAME test_opt_checkpoint SOURCES test_opt_checkpoint.c opt_test_files.c test_files.c
  LABELS unit opt)
psamp_c_test(NAME test_engine_cpu_hf SOURCES test_engine_cpu_hf.c LABELS opt engine)
psamp_c_test(NAME test_engine_cpu SOURCES test_engine_cpu.c LABELS opt engine)
# Qwen2, Llama and Phi-3 checkpoints (issue 13): loading, config refusals, the CPU engine
# against transformers.
psamp_c_test(NAME test_engine_cpu_arch SOURCES test_engine_cpu_arch.c LABELS arch engine)
psamp_c_test(NAME test_hf_config SOURCES test_hf_config.c test_files.c LABELS arch unit)
psamp_c_test(NAME test_sampler_arch SOURCES test_sampler_arch.c LABELS arch sampler)
# Text on those checkpoints (their tokenizer.json) through the model seam.
psamp_c_test(NAME test_model_decoder_text SOURCES test_model_decoder_text.c LABELS arch unit)
