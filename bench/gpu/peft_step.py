"""The Hugging Face side of the trainer comparison: LoRA on a random-weight Mistral-7B shape with transformers + PEFT,
the way a TRL/PEFT user trains (bf16 base, adapters upcast to float32 by PEFT, torch AdamW, attention as transformers
picks it), on the same data shape as our trainer: examples of exactly SEQ tokens, loss on the second half.

    python3 peft_step.py DATA.jsonl --steps 8 --batch 4 --checkpointing on

Prints one JSON line: tokens/s over the steps after the first, torch.cuda.max_memory_allocated/reserved, losses.
"""
import argparse, json, time

import torch
from peft import LoraConfig, get_peft_model
from transformers import MistralConfig, MistralForCausalLM

ap = argparse.ArgumentParser()
ap.add_argument("data")
ap.add_argument("--steps", type=int, default=8)
ap.add_argument("--batch", type=int, default=4)
ap.add_argument("--checkpointing", choices=["on", "off"], default="on")
args = ap.parse_args()

rows = [json.loads(line) for line in open(args.data)]
tokens = torch.tensor([r["tokens"] for r in rows])
labels = tokens.clone()
labels[torch.tensor([r["mask"] for r in rows]) == 0] = -100

# Mistral-7B's shape, as `merlinite synth --preset mistral-7b` writes it.
config = MistralConfig(vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                       num_attention_heads=32, num_key_value_heads=8, head_dim=128, max_position_embeddings=32768,
                       rms_norm_eps=1e-5, rope_theta=10000.0, sliding_window=None, tie_word_embeddings=False)
torch.manual_seed(0)
t0 = time.time()
torch.set_default_dtype(torch.bfloat16)
with torch.device("cuda"):
    model = MistralForCausalLM(config)
torch.set_default_dtype(torch.float32)
if args.checkpointing == "on":
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.enable_input_require_grads()
lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, task_type="CAUSAL_LM",
                  target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
model = get_peft_model(model, lora)
model.train()
build_seconds = time.time() - t0
trainable = [p for p in model.parameters() if p.requires_grad]
adapter_dtype = str(trainable[0].dtype)
opt = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.0)
torch.cuda.reset_peak_memory_stats()

losses, times = [], []
for step in range(args.steps):
    i = (step * args.batch) % len(rows)
    x = tokens[i:i + args.batch].cuda()
    y = labels[i:i + args.batch].cuda()
    torch.cuda.synchronize()
    t = time.time()
    loss = model(input_ids=x, labels=y).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(trainable, 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    losses.append(loss.item())
    torch.cuda.synchronize()
    times.append(time.time() - t)

steady = sorted(times[1:])[len(times[1:]) // 2]
print(json.dumps({
    "tool": "transformers+peft", "transformers": __import__("transformers").__version__,
    "peft": __import__("peft").__version__, "torch": torch.__version__,
    "attn_implementation": model.config._attn_implementation, "adapter_dtype": adapter_dtype,
    "checkpointing": args.checkpointing, "batch": args.batch, "seq": tokens.shape[1], "build_seconds": round(build_seconds, 1),
    "step_seconds": [round(t, 4) for t in times], "median_step_seconds": steady,
    "tokens_per_second": args.batch * tokens.shape[1] / steady,
    "max_memory_allocated": torch.cuda.max_memory_allocated(), "max_memory_reserved": torch.cuda.max_memory_reserved(),
    "losses": losses,
}))
