#!/usr/bin/env python3
"""peer_hf_temp.py's two compile paths, without a GPU (selftest.sh runs it).

    python3 benchmarks/cpu_peers/check_compile_paths.py ok|bad CHECKPOINT_DIR

Drives peer_hf_temp.main() on the CPU with transformers' auto-compile forced on (it compiles
only on CUDA by itself), through a torch.compile backend that either works (the traced graph
run as it is) or raises: "ok" must report compiled true and an eager rate (--eager-too),
"bad" compiled false with the compile_error, both with every token counted."""
import contextlib
import io
import json
import os
import sys


from transformers import PreTrainedModel
from transformers.generation.utils import GenerationMixin
from transformers.generation.configuration_utils import CompileConfig
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_hf_temp

mode = sys.argv[1]
def ok_backend(gm, example_inputs):
    return gm.forward
def bad_backend(gm, example_inputs):
    raise RuntimeError("simulated inductor failure\nsecond line")
GenerationMixin._valid_auto_compile_criteria = lambda self, mk, gc: (not gc.disable_compile)
PreTrainedModel._default_compile_config = lambda self: CompileConfig(
    backend=ok_backend if mode == "ok" else bad_backend, mode=None, fullgraph=False)
sys.argv = ["peer_hf_temp.py", "--model", sys.argv[2], "--batch", "2", "--new-tokens", "4", "--threads", "1",
            "--cache", "static", "--eager-too"]
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    peer_hf_temp.main()
r = json.loads(buf.getvalue())
print({k: r.get(k) for k in ("compiled", "compile_error", "tokens", "eager_tokens_per_second")})
if mode == "ok":
    assert r["compiled"] is True and r["eager_tokens_per_second"] > 0 and "compile_error" not in r, r
else:
    assert r["compiled"] is False and "simulated" in r["compile_error"] and "eager_tokens_per_second" not in r, r
assert r["tokens"] == 8, r
print(f"check_compile_paths {mode}: ok")
