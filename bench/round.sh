#!/usr/bin/env bash
# A round you can time (issue 29): one round of recipes/merlinite-7b-pt.yaml's phases on synthesized models of the
# recipe's shapes, each phase as its own command (so each peak memory is its own), with wall seconds, peak resident
# memory, tokens, tokens/s, and each phase extrapolated linearly to the recipe's 1024 prompts x 8 samples.
#
#   bench/round.sh                         --scale cpu: the policy at the Mistral-7B shape (Q4_K_M), the Mixtral pair
#                                          cut to 2 layers (8 experts, Q4_K_M), 4 prompts x 8 samples x 32 tokens
#   bench/round.sh --scale full            a GPU machine with disk: the three real shapes (the Mixtral pair in q8_0)
#   bench/round.sh --scale full --dry-run  what it would synthesize and run, with sizes and the disk check; runs nothing
#   bench/round.sh --help
#
# Output: two tables on stdout (preparing the models, kept out of the round's figures; the round) and
# WORK/round.json + WORK/round.tsv. The models are deleted at the end unless --keep (a later run reuses kept ones).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RECIPE="$ROOT/recipes/merlinite-7b-pt.yaml"

usage() {
  cat <<'EOF'
Usage: bench/round.sh [options]

One round of recipes/merlinite-7b-pt.yaml (sample -> reward: instruct, reference -> select -> LoRA train) on
synthesized models, every phase timed with its peak resident memory and extrapolated to the recipe's round.

  --scale cpu|full|tiny  cpu (default): policy Mistral-7B shape Q4_K_M, instruct/reference Mixtral-8x7B shape cut to
                         --reward-layers layers (8 experts, top-2) Q4_K_M; full: the real shapes, the Mixtral pair
                         synthesized straight into q8_0 (F16 would be 93 GB each; quantize refuses q8_0 input);
                         tiny: the tiny presets, a seconds-long check of this script
  --prompts N            prompts in the round (default: cpu 4, full 64, tiny 4)
  --max-tokens N         most new tokens per sample (default: cpu 32, full 512 = the recipe's, tiny 32)
  --answer-tokens N      mean answer length assumed for the extrapolation (default 512, the recipe's max_tokens:
                         an upper bound)
  --reward-layers N      cpu scale: layers of the Mixtral pair (default 2; the real model has 32)
  --reward-type T        q4_k_m (synthesized in F16, then quantized, as the recipe's files) or q8_0 (synthesized
                         straight into it); default: q4_k_m for cpu, q8_0 for full
  --shared-reference     one Mixtral file serves as instruct and reference (same shape, same time and memory; every
                         reward is then 0): halves the disk for --scale full
  --reward-gpu-layers N  layers of each reward model on the GPU (default: the recipe's, auto: what fits --vram or
                         the GPU's free memory; run --dry-run --vram GiB prints the placement)
  --threads N            CPU threads for every command (default 0 = one per core)
  --work DIR             scratch folder (default /tmp/merlinite-round-SCALE); the tables stay there
  --keep                 keep the models (and reuse them in a later run with the same settings)
  --merlinite PATH       the merlinite binary (default bin/merlinite; the trainer beside it, as ever)
  --dry-run              print the plan (models, sizes, disk check, commands) and stop
  -h, --help             this text
EOF
}

SCALE=cpu R_NGL= PROMPTS= MAX_TOKENS= ANSWER_TOKENS=512 REWARD_LAYERS=2 REWARD_TYPE= SHARED_REF=0 THREADS=0 WORK= KEEP=0
M="$ROOT/bin/merlinite" DRY=0
need_value() { [[ $# -ge 2 && -n "$2" ]] || { echo "round.sh: $1 needs a value (see --help)" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scale) need_value "$@"; SCALE=$2; shift 2 ;;
    --prompts) need_value "$@"; PROMPTS=$2; shift 2 ;;
    --max-tokens) need_value "$@"; MAX_TOKENS=$2; shift 2 ;;
    --answer-tokens) need_value "$@"; ANSWER_TOKENS=$2; shift 2 ;;
    --reward-layers) need_value "$@"; REWARD_LAYERS=$2; shift 2 ;;
    --reward-type) need_value "$@"; REWARD_TYPE=$2; shift 2 ;;
    --shared-reference) SHARED_REF=1; shift ;;
    --reward-gpu-layers) need_value "$@"; R_NGL=$2; shift 2 ;;
    --threads|-t) need_value "$@"; THREADS=$2; shift 2 ;;
    --work) need_value "$@"; WORK=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --merlinite) need_value "$@"; M=$2; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "round.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
die() { echo "round.sh: $*" >&2; exit 2; }
int_opt() { [[ "$2" =~ ^[0-9]+$ && "$2" -ge "$3" ]] || die "$1 must be a whole number >= $3, got '$2'"; }
case "$SCALE" in
  cpu)  : "${PROMPTS:=4}" "${MAX_TOKENS:=32}" "${REWARD_TYPE:=q4_k_m}" ;;
  full) : "${PROMPTS:=64}" "${MAX_TOKENS:=512}" "${REWARD_TYPE:=q8_0}" ;;
  tiny) : "${PROMPTS:=4}" "${MAX_TOKENS:=32}" "${REWARD_TYPE:=q8_0}" ;;
  *) echo "round.sh: --scale is cpu, full or tiny, got '$SCALE'" >&2; exit 2 ;;
esac
int_opt --prompts "$PROMPTS" 1; int_opt --max-tokens "$MAX_TOKENS" 1; int_opt --answer-tokens "$ANSWER_TOKENS" 1
int_opt --reward-layers "$REWARD_LAYERS" 1; int_opt --threads "$THREADS" 0
[[ "$REWARD_TYPE" == q4_k_m || "$REWARD_TYPE" == q8_0 ]] || die "--reward-type is q4_k_m or q8_0"
: "${WORK:=/tmp/merlinite-round-$SCALE}"
[[ -x "$M" ]] || die "no merlinite binary at $M (build it with ./build.sh, or --merlinite PATH)"
command -v python3 >/dev/null || { echo "round.sh: needs python3 (selection, token counts, the tables)" >&2; exit 2; }

# ---------------------------------------------------------------- the recipe's settings (read from the YAML)
# recipe_get SECTION KEY: a plain "  key: value" under a top-level "section:" (comments stripped).
recipe_get() {
  awk -v s="$1" -v k="$2" '
    /^[^ #][^:]*:/ { sec = $0; sub(/:.*/, "", sec); next }
    sec == s && $0 ~ "^  " k ":" { v = $0; sub(/^[^:]*:[ ]*/, "", v); sub(/[ ]*#.*/, "", v); print v; exit }' "$RECIPE"
}
R() { local v; v=$(recipe_get "$1" "$2"); [[ -n "$v" ]] || die "$RECIPE has no $1.$2"; echo "$v"; }
N=$(R sampling n) TEMP=$(R sampling temperature) TOP_P=$(R sampling top_p) TOP_K=$(R sampling top_k)
MIN_P=$(R sampling min_p) RECIPE_MAX_TOKENS=$(R sampling max_tokens) S_PAR=$(R sampling parallel)
S_CTX=$(R sampling context) BETA=$(R reward beta) NORM=$(R reward norm) R_TEMPLATE=$(R reward template)
R_PAR=$(R reward parallel) R_CTX=$(R reward context) RANK=$(R sft rank) ALPHA=$(R sft alpha) LR=$(R sft lr)
EPOCHS=$(R sft epochs) BATCH=$(R sft batch_size) ACCUM=$(R sft grad_accum) DTYPE=$(R sft dtype)
CKPT=$(R sft checkpointing) MBT=$(R sft max_batch_tokens) PER_ROUND=$(R prompts per_round)
# models.*: three levels deep; the policy's template and each model's gpu_layers, as the recipe says them.
P_TEMPLATE=$(awk '/^    template:/ { print $2; exit }' "$RECIPE")
P_NGL=$(awk '/^  policy:/ { p = 1 } p && /^    gpu_layers:/ { print $2; exit }' "$RECIPE")
I_NGL=$(awk '/^  instruct:/ { p = 1 } p && /^    gpu_layers:/ { print $2; exit }' "$RECIPE")
: "${P_NGL:=auto}" "${I_NGL:=auto}"   # absent: the default, auto
: "${R_NGL:=$I_NGL}"; [[ "$R_NGL" =~ ^(-?[0-9]+|auto)$ ]] || die "--reward-gpu-layers must be auto or a number"

# ---------------------------------------------------------------- shapes, sizes
# name|preset|arch|dims|layers of the real shape
case "$SCALE" in
  cpu)  POLICY_DIMS=""; REWARD_DIMS="n_layer=$REWARD_LAYERS"; POLICY_PRESET=mistral-7b; REWARD_PRESET=mixtral-8x7b ;;
  full) POLICY_DIMS=""; REWARD_DIMS=""; POLICY_PRESET=mistral-7b; REWARD_PRESET=mixtral-8x7b ;;
  tiny) POLICY_DIMS=""; REWARD_DIMS=""; POLICY_PRESET=tiny; REWARD_PRESET=tiny ;;
esac
# shape PRESET ARCH DIMS -> "vocab embd layers heads kv head_dim ff experts experts_used"
shape() {
  local v e l h kv hd ff x xu
  if [[ "$1" == tiny ]]; then v=1080 e=64 l=2 h=4 kv=2 hd=16 ff=192 x=0 xu=0; [[ "$2" == mixtral ]] && ff=128 x=8 xu=2
  else v=32000 e=4096 l=32 h=32 kv=8 hd=128 ff=14336 x=0 xu=0; [[ "$2" == mixtral ]] && x=8 xu=2; fi
  local kvp; IFS=, read -ra kvp <<< "$3"
  for p in "${kvp[@]}"; do case "$p" in n_layer=*) l=${p#*=} ;; n_embd=*) e=${p#*=} ;; n_ff=*) ff=${p#*=} ;; esac; done
  echo "$v $e $l $h $kv $hd $ff $x $xu"
}
# params SHAPE... -> total parameters; active SHAPE... -> parameters used per token (matmuls: top-k experts, head)
params() { # v e l h kv hd ff x xu
  local x=$8; local per=$(( $2*$4*$6*2 + $2*$5*$6*2 + 3*$2*$7*(x>0?x:1) + (x>0 ? $2*x : 0) + 2*$2 ))
  echo $(( $3*per + 2*$1*$2 + $2 ))
}
active() {
  local xu=$9; local per=$(( $2*$4*$6*2 + $2*$5*$6*2 + 3*$2*$7*(xu>0?xu:1) ))
  echo $(( $3*per + $1*$2 ))
}
# bytes PARAMS TYPE: f16 2, q8_0 34/32, q4_k_m ~4.85 bits (Mistral-7B's Q4_K_M file: 4.37 GB for 7.24B)
bytes() { case "$2" in f16|bf16) echo $(( $1*2 )) ;; q8_0) echo $(( $1*34/32 )) ;; q4_k_m) echo $(( $1*485/800 )) ;;
  f32) echo $(( $1*4 )) ;; esac; }
gb() { awk -v b="$1" 'BEGIN { printf "%.1f GB", b/1e9 }'; }
human() { awk -v b="$1" 'BEGIN { if (b >= 1e9) printf "%.2f GB", b/1e9; else printf "%.1f MB", b/1e6 }'; }

P_SHAPE=$(shape $POLICY_PRESET mistral "$POLICY_DIMS"); X_SHAPE=$(shape $REWARD_PRESET mixtral "$REWARD_DIMS")
P_PARAMS=$(params $P_SHAPE); X_PARAMS=$(params $X_SHAPE); X_LAYERS=$(cut -d' ' -f3 <<< "$X_SHAPE")
P_ACTIVE=$(active $P_SHAPE); X_ACTIVE=$(active $X_SHAPE)
X_FULL_ACTIVE=$(active $(shape mixtral-8x7b mixtral ""))
P_FULL_ACTIVE=$(active $(shape mistral-7b mistral ""))
describe() { # preset arch dims params
  local s
  case "$1" in tiny) s="tiny $2" ;; mistral-7b) s="Mistral-7B shape" ;; mixtral-8x7b) s="Mixtral-8x7B shape" ;; esac
  [[ -n "$3" ]] && s="$s, ${3//,/ }"
  [[ "$1" == mixtral-8x7b && -n "$3" ]] && s="$s (of 32)"
  echo "$s, $(awk -v p="$4" 'BEGIN { if (p >= 1e9) printf "%.2fB", p/1e9; else printf "%.2fM", p/1e6 }') params"
}
P_DESC=$(describe $POLICY_PRESET mistral "$POLICY_DIMS" "$P_PARAMS")
X_DESC=$(describe $REWARD_PRESET mixtral "$REWARD_DIMS" "$X_PARAMS")
POLICY_TYPE=q4_k_m; [[ "$SCALE" == tiny ]] && POLICY_TYPE=q8_0   # tiny rows are not divisible by 256 (k-quants)

# The preparation, in order: MODEL|STEP|FILE|what|bytes written|bytes freed after (the F16 intermediates)
PLAN=()
plan_model() { # name seed preset arch dims params type
  local name=$1 seed=$2 preset=$3 arch=$4 dims=$5 p=$6 type=$7 dimsarg=""
  [[ -n "$dims" ]] && dimsarg=" --dims $dims"
  local synth="synth --preset $preset --arch $arch$dimsarg"
  if [[ "$type" == q4_k_m ]]; then
    PLAN+=("$name|synth|$name-f16.gguf|$synth --type f16 --seed $seed|$(bytes "$p" f16)|0")
    PLAN+=("$name|quantize|$name.gguf|quantize -m $name-f16.gguf --type q4_k_m|$(bytes "$p" q4_k_m)|$(bytes "$p" f16)")
  else
    PLAN+=("$name|synth|$name.gguf|$synth --type $type --seed $seed|$(bytes "$p" "$type")|0")
  fi
}
plan_model policy 1 $POLICY_PRESET mistral "$POLICY_DIMS" "$P_PARAMS" $POLICY_TYPE
plan_model instruct 2 $REWARD_PRESET mixtral "$REWARD_DIMS" "$X_PARAMS" "$REWARD_TYPE"
[[ "$SHARED_REF" == 1 ]] || plan_model reference 3 $REWARD_PRESET mixtral "$REWARD_DIMS" "$X_PARAMS" "$REWARD_TYPE"

# Peak disk over the preparation (an F16 intermediate is deleted right after its quantization), plus 2 GB for the
# round's files, the logs and the trainer's checkpoints.
DISK_NEED=0 DISK_NOW=0 MODELS_BYTES=0
for step in "${PLAN[@]}"; do
  IFS='|' read -r _ _ _ _ w f <<< "$step"
  DISK_NOW=$(( DISK_NOW + w )); (( DISK_NOW > DISK_NEED )) && DISK_NEED=$DISK_NOW
  DISK_NOW=$(( DISK_NOW - f ))
done
MODELS_BYTES=$DISK_NOW
DISK_NEED=$(( DISK_NEED + 2000000000 ))
mkdir -p "$WORK"
# Kept models (--keep) already count as used space: what they take is not needed again.
KEPT_BYTES=$({ find "$WORK/models" -name '*.gguf' -printf '%s\n' 2>/dev/null || true; } |
  awk '{ s += $1 } END { printf "%.0f", s }')
DISK_AVAIL=$(( $(df -Pk "$WORK" | awk 'NR == 2 { print $4 }') * 1024 ))
MEM_TOTAL=$(awk '/MemTotal/ { printf "%.0f", $2 * 1024 }' /proc/meminfo)

# ---------------------------------------------------------------- the round's commands
MODELS="$WORK/models" RUN="$WORK/round"
I_MODEL="$MODELS/instruct.gguf"; F_MODEL="$MODELS/reference.gguf"; [[ "$SHARED_REF" == 1 ]] && F_MODEL="$I_MODEL"
SAMPLE_CMD=(sample -m "$MODELS/policy.gguf" -i "$RUN/prompts.jsonl" -o "$RUN/samples.jsonl" --n "$N" --temp "$TEMP"
  --top-p "$TOP_P" --top-k "$TOP_K" --min-p "$MIN_P" --max-tokens "$MAX_TOKENS" -np "$S_PAR" -c "$S_CTX"
  -ngl "$P_NGL" --template "$P_TEMPLATE" -t "$THREADS" --restart)
REWARD_CMD=(reward --instruct-model "$I_MODEL" --reference-model "$F_MODEL" -i "$RUN/samples.jsonl"
  -o "$RUN/rewards.jsonl" --beta "$BETA" --norm "$NORM" --template "$R_TEMPLATE" -np "$R_PAR" -c "$R_CTX"
  -ngl "$R_NGL" -t "$THREADS" --restart)
TRAIN_CMD=(train -m "$MODELS/policy.gguf" -i "$RUN/winners.jsonl" -o "$RUN/adapter.gguf" --lora-rank "$RANK"
  --lora-alpha "$ALPHA" --lr "$LR" --epochs "$EPOCHS" --batch-size "$BATCH" --grad-accum "$ACCUM" --dtype "$DTYPE"
  --checkpointing "$CKPT" --max-batch-tokens "$MBT" --template "$P_TEMPLATE" --seed 0 -t "$THREADS" --restart)
show() {
  local out="merlinite" a
  for a in "$@"; do [[ "$a" =~ [[:space:]] ]] && a="'$a'"; out+=" ${a//$WORK/\$WORK}"; done
  echo "$out"; }

print_plan() {
  local ON_GPU=$X_LAYERS; [[ "$R_NGL" == auto ]] || ON_GPU=$(( R_NGL < 0 || R_NGL > X_LAYERS ? X_LAYERS : R_NGL ))
  echo "# bench/round.sh --scale $SCALE: plan"
  echo "work folder: $WORK (\$WORK below)"
  echo "policy:              $P_DESC, $POLICY_TYPE"
  echo "instruct, reference: $X_DESC, $REWARD_TYPE$([[ "$SHARED_REF" == 1 ]] && echo ", one file for both")"
  echo
  echo "preparing the models (timed, kept out of the round's figures):"
  for step in "${PLAN[@]}"; do
    IFS='|' read -r _ kind file what w f <<< "$step"
    echo "  merlinite $what -o $file: $(human "$w")$( (( f > 0 )) && echo ", then the F16 file ($(human "$f")) goes")"
  done
  echo "  models at the end: $(human "$MODELS_BYTES"); peak disk with 2 GB for the round: $(human "$DISK_NEED")"
  echo "  free on $(df -P "$WORK" | awk 'NR == 2 { print $6 }'): $(human "$DISK_AVAIL")$( (( KEPT_BYTES > 0 )) &&
    echo " + $(human "$KEPT_BYTES") of kept models in \$WORK/models")"
  echo "  memory here: $(awk -v b="$MEM_TOTAL" 'BEGIN { printf "%.1f GiB", b / 2^30 }');" \
    "reward models $(human "$(bytes "$X_PARAMS" "$REWARD_TYPE")") each; on a GPU, $ON_GPU of their $X_LAYERS layers" \
    "(--reward-gpu-layers): ~$(human $(( $(bytes "$X_PARAMS" "$REWARD_TYPE") / X_LAYERS * ON_GPU )))"
  echo
  echo "the round ($PROMPTS prompts x $N samples x <= $MAX_TOKENS tokens;" \
    "the recipe: $PER_ROUND x $N x <= $RECIPE_MAX_TOKENS):"
  echo "  1 sample   $(show "${SAMPLE_CMD[@]}")"
  echo "  2 reward   $(show "${REWARD_CMD[@]}")"
  echo "  3 select   best of $N per prompt (highest reward, ties: the lowest sample index), as the recipe runner does"
  echo "  4 train    $(show "${TRAIN_CMD[@]}")"
}

disk_check() {
  if (( DISK_AVAIL + KEPT_BYTES < DISK_NEED )); then
    echo "round.sh: not enough disk for --scale $SCALE in $WORK: needs $(gb "$DISK_NEED") at the peak," \
      "$(gb "$((DISK_AVAIL + KEPT_BYTES))") free." >&2
    if [[ "$SHARED_REF" == 0 && "$SCALE" != tiny ]]; then
      echo "  --shared-reference (one Mixtral file for both reward models) needs" \
        "$(gb $(( DISK_NEED - $(bytes "$X_PARAMS" "$REWARD_TYPE") ))) or less;" >&2
    fi
    echo "  or --work on a larger disk$([[ "$SCALE" == full ]] && echo ", or --scale cpu")." >&2
    return 1
  fi
}

if [[ "$DRY" == 1 ]]; then
  print_plan
  echo
  if disk_check; then echo "disk: enough ($(gb "$DISK_NEED") needed)"; else exit 2; fi
  exit 0
fi
disk_check || exit 2

# ---------------------------------------------------------------- measuring
mkdir -p "$MODELS" "$RUN" "$WORK/logs"
cleanup() { [[ "$KEEP" == 1 ]] || rm -rf "$MODELS" "$RUN"; }
trap cleanup EXIT
NOW() { date +%s.%N; }
HAVE_TIME=0; [[ -x /usr/bin/time && -z "${ROUND_NO_TIME:-}" ]] && HAVE_TIME=1

# descendants PID: every process below PID (the trainer below merlinite).
descendants() {
  local kids k
  kids=$(ps -o pid= --ppid "$1" 2>/dev/null || awk -v p="$1" '{ s = $0; sub(/.*\) /, "", s); split(s, a, " ")
    if (a[2] == p) { f = FILENAME; sub(/\/proc\//, "", f); sub(/\/stat/, "", f); print f } }' \
    /proc/[0-9]*/stat 2>/dev/null)
  for k in $kids; do echo "$k"; descendants "$k"; done
}
# measure NAME CMD...: runs merlinite CMD, its stderr shown and kept in logs/NAME.log; sets SECONDS_ PEAK_KB RC START_
measure() {
  local name=$1; shift
  local log="$WORK/logs/$name.log" tf="$WORK/logs/$name.time"
  echo "## $name: $(show "$@")" >&2
  START_=$(NOW); RC=0
  if [[ "$HAVE_TIME" == 1 ]]; then
    # GNU time: %e wall seconds, %M the largest resident set of the process or any child it waited for (the trainer).
    /usr/bin/time -o "$tf" -f '%e %M' "$M" "$@" > >(tee "$log" >&2) 2>&1 || RC=$?
    wait
    PEAK_KB=$(awk 'END { print $2 }' "$tf")
  else
    # No /usr/bin/time: poll VmHWM (the high-water mark) of the process and its children every 0.2 s.
    "$M" "$@" > >(tee "$log" >&2) 2>&1 &
    local pid=$! peak=0 p h
    while kill -0 "$pid" 2>/dev/null; do
      for p in $pid $(descendants "$pid"); do
        h=$(awk '/^VmHWM/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
        [[ -n "$h" ]] && (( h > peak )) && peak=$h
      done
      sleep 0.2
    done
    wait "$pid" || RC=$?
    PEAK_KB=$peak
  fi
  SECONDS_=$(awk -v a="$START_" -v b="$(NOW)" 'BEGIN { printf "%.2f", b - a }')
  LOAD_=$(cut -d' ' -f1 /proc/loadavg)   # the 1-minute load average as the phase ends: others' work shows here
  if [[ "$RC" != 0 ]]; then echo "round.sh: $name failed (exit $RC); its log: $log" >&2; fi
}

RECORDS="$WORK/records.tsv"   # kind, name, model, seconds, peak KB, extra
: > "$RECORDS"
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" "${LOAD_:-}" >> "$RECORDS"; }

# ---------------------------------------------------------------- 1. the models
VERSION=$("$M" --version 2>/dev/null | head -1)
# A model's stamp (beside its final file): the merlinite version and every command that made it. A kept model (--keep)
# with the same stamp is used again.
stamp_of() {
  local step out="$VERSION"
  for step in "${PLAN[@]}"; do [[ "${step%%|*}" == "$1" ]] && out+=" | $(cut -d'|' -f4 <<< "$step")"; done
  echo "$out"
}
for step in "${PLAN[@]}"; do
  IFS='|' read -r name kind file what w f <<< "$step"
  out="$MODELS/$file" final="$MODELS/$name.gguf"
  if [[ -f "$final" && "$(cat "$final.made-by" 2>/dev/null)" == "$(stamp_of "$name")" ]]; then
    [[ "$file" == "$name.gguf" ]] && echo "## $file: kept from an earlier --keep run" >&2
    record prep "$kind $file" "$what" "" "" "kept"
    continue
  fi
  rm -f "$final.made-by"
  read -ra args <<< "$what"
  if [[ "$kind" == quantize ]]; then args[2]="$MODELS/${args[2]}"; args+=(-t "$THREADS"); fi
  args+=(-o "$out")
  measure "$kind-${file%.gguf}" "${args[@]}"
  [[ "$RC" == 0 ]] || exit 1
  record prep "$kind $file" "$what" "$SECONDS_" "$PEAK_KB" "$(stat -c %s "$out")"
  [[ "$kind" == quantize ]] && rm -f "${args[2]}"
  [[ "$file" == "$name.gguf" ]] && stamp_of "$name" > "$final.made-by"
done

# ---------------------------------------------------------------- 2. the prompts
python3 - "$RUN/prompts.jsonl" "$PROMPTS" <<'PY'
import json, sys
# LAB-style instructions of everyday lengths (skills and knowledge questions), cycled when more are asked for.
asks = [
    "Write a short poem about the first snow of the year in a small mountain town.",
    "Explain how photosynthesis turns sunlight into chemical energy, in terms a twelve-year-old would follow.",
    "What are three differences between a virus and a bacterium? Give an example of an illness caused by each.",
    "Summarize the causes of the French Revolution in one paragraph.",
    "A train leaves at 9:40 and arrives at 13:05. How long is the journey? Show your working.",
    "Draft a polite email asking a colleague to review a pull request before Friday.",
    "List five tips for keeping houseplants alive through a dry winter, with one sentence on each.",
    "What is the difference between weather and climate?",
    "Rewrite this sentence in the passive voice: The committee approved the new budget on Monday.",
    "Explain what a hash table is and why lookups are usually fast.",
    "Give me a recipe for a simple vegetable soup that serves four.",
    "Why does the Moon show phases? Answer in three or four sentences.",
    "Translate into French: Where is the nearest train station, please?",
    "Compare renewable and non-renewable energy sources, with two examples of each.",
    "Write a haiku about a cat watching rain from a window.",
    "What should someone consider before adopting a dog? Give a numbered list.",
]
n = int(sys.argv[2])
with open(sys.argv[1], "w") as f:
    for i in range(n):
        text = asks[i % len(asks)] + ("" if i < len(asks) else f" (variant {i // len(asks) + 1})")
        f.write(json.dumps({"id": f"q{i:04d}", "source": "round.sh",
                            "messages": [{"role": "user", "content": text}]}) + "\n")
PY

# ---------------------------------------------------------------- 3. the round
ROUND_FAILED=()
measure sample "${SAMPLE_CMD[@]}"
record round sample "policy: $P_DESC, $POLICY_TYPE" "$SECONDS_" "$PEAK_KB" "$RC"
[[ "$RC" == 0 ]] || { ROUND_FAILED+=(sample); exit 1; }

measure reward "${REWARD_CMD[@]}"
# The instruct model's scores file appears (renamed from .partial) when it is done: the split between the two models.
SPLIT=$(python3 -c 'import os, sys; print(f"{os.path.getmtime(sys.argv[1]):.3f}")' \
  "$RUN/rewards.instruct-scores.jsonl" 2>/dev/null || echo "")
record round reward "$X_DESC, $REWARD_TYPE" "$SECONDS_" "$PEAK_KB" "$RC $START_ $SPLIT"
[[ "$RC" == 0 ]] || exit 1

# Selection: the recipe runner's best of N (Engine/Jobs/Selection.cs), winners in its winners.jsonl layout.
SELECT_S=$(python3 - "$RUN/samples.jsonl" "$RUN/rewards.jsonl" "$RUN/winners.jsonl" <<'PY'
import json, math, sys, time
t0 = time.perf_counter()
rewards = {}
for line in open(sys.argv[2]):
    r = json.loads(line)
    if isinstance(r.get("reward"), (int, float)) and math.isfinite(r["reward"]) and "error" not in r:
        rewards[r["id"]] = r["reward"]
with open(sys.argv[3], "w") as out:
    for line in open(sys.argv[1]):
        p = json.loads(line)
        scored = [(rewards[f'{p["id"]}#{s["index"]}'], s) for s in p["samples"] if f'{p["id"]}#{s["index"]}' in rewards]
        if not scored:
            continue
        reward, best = max(scored, key=lambda x: (x[0], -x[1]["index"]))
        out.write(json.dumps({"id": p["id"], "sample": best["index"], "reward": round(reward, 6),
                              "messages": p["messages"] + [{"role": "assistant", "content": best["text"]}]},
                             ensure_ascii=False) + "\n")
print(f"{time.perf_counter() - t0:.3f}")
PY
)
record round select "-" "$SELECT_S" "" 0

measure train "${TRAIN_CMD[@]}"
TRAIN_LINE=$(grep -a 'tokens trained' "$WORK/logs/train.log" | tail -1 || true)
record round train "policy (LoRA r$RANK, $DTYPE): $P_DESC, $POLICY_TYPE" "$SECONDS_" "$PEAK_KB" "$RC|$TRAIN_LINE"

# ---------------------------------------------------------------- 4. figures
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
CPU_FAMILY=$(awk -F': ' '/^cpu family/ { f = $2 } /^model[ \t]*:/ { m = $2 } END { print "family " f " model " m }' \
  /proc/cpuinfo)
GPU=$(nvidia-smi -L 2>/dev/null | head -1 || true)
export P="$PROMPTS" N A="$ANSWER_TOKENS" PER_ROUND SCALE MAX_TOKENS THREADS VERSION CPU CPU_FAMILY GPU MEM_TOTAL
export X_FULL_ACTIVE X_ACTIVE P_FULL_ACTIVE P_ACTIVE SHARED="$SHARED_REF"
export PEAK_FROM="$([[ $HAVE_TIME == 1 ]] && echo "/usr/bin/time %M" || echo "VmHWM polled every 0.2 s")"
python3 - "$WORK" "$RECORDS" <<'PY'
import json, os, re, sys, datetime
work, records = sys.argv[1], sys.argv[2]
run = os.path.join(work, "round")
env = os.environ
P, N, A, PER_ROUND = (int(env[k]) for k in ("P", "N", "A", "PER_ROUND"))
MAX_TOKENS, THREADS = int(env["MAX_TOKENS"]), int(env["THREADS"])
scale = env["SCALE"]
rows = [l.rstrip("\n").split("\t") for l in open(records)]

def jl(path):
    return [json.loads(l) for l in open(path)] if os.path.exists(path) else []
samples = jl(os.path.join(run, "samples.jsonl"))
prompt_tokens = sum(p.get("prompt_tokens", 0) for p in samples)
generated = sum(s["tokens"] for p in samples for s in p["samples"])
n_samples = sum(len(p["samples"]) for p in samples)
mean_answer = generated / n_samples if n_samples else 0
mean_prompt = prompt_tokens / len(samples) if samples else 0
hit_max = sum(1 for p in samples for s in p["samples"] if s.get("finish_reason") == "length")

def scored(path):
    return sum(r.get("count", 0) for r in jl(path))
ins_tokens = scored(os.path.join(run, "rewards.instruct-scores.jsonl"))
ref_tokens = scored(os.path.join(run, "rewards.reference-scores.jsonl"))
winners = jl(os.path.join(run, "winners.jsonl"))

# Targets: the recipe's round, PER_ROUND prompts x N samples, every answer A tokens long (the assumption).
target_generated = PER_ROUND * N * A
target_reward = PER_ROUND * mean_prompt + PER_ROUND * N * (A + 1)      # +1: the end-of-generation token is scored
# A reduced shape (the cpu scale's Mixtral pair) to the real one: x active parameters per token. Not for tiny.
full_factor = {"reward": int(env["X_FULL_ACTIVE"]) / int(env["X_ACTIVE"]),
               "policy": int(env["P_FULL_ACTIVE"]) / int(env["P_ACTIVE"])}
if scale == "tiny": full_factor = {"reward": None, "policy": None}

prep, round_rows = [], []
for kind, name, model, secs, peak, extra, load in rows:
    load = float(load) if load else None
    secs = float(secs) if secs else None
    peak_mib = round(int(peak) / 1024) if peak else None
    if kind == "prep":
        prep.append({"step": name, "what": "merlinite " + model, "seconds": secs, "peak_rss_mib": peak_mib,
                     "load": load,
                     "file_bytes": int(extra) if extra.isdigit() else None, "kept": extra == "kept"})
        continue
    if name == "sample":
        round_rows.append(dict(phase="sample", load=load, model=model, seconds=secs, peak_rss_mib=peak_mib,
                               tokens=generated, tokens_what="generated",
                               extrapolated_s=secs * target_generated / generated if generated else None,
                               full_factor=full_factor["policy"]))
    elif name == "reward":
        rc, start, split = (extra.split(" ") + ["", ""])[:3]
        total = ins_tokens + ref_tokens
        parts = [("reward: instruct", ins_tokens), ("reward: reference", ref_tokens)]
        if env["SHARED"] == "1": model += " (one file for both)"
        if split:
            t_ins = float(split) - float(start); times = [t_ins, secs - t_ins]
        else:
            times = [secs / 2, secs / 2]
        for (phase, tok), t in zip(parts, times):
            processed = mean_prompt * P + tok
            round_rows.append(dict(phase=phase, load=load, model=phase.split(": ")[1] + ": " + model, seconds=t,
                                   peak_rss_mib=peak_mib, tokens=tok, tokens_what="scored (+ prompts)",
                                   extrapolated_s=t * target_reward / processed if processed else None,
                                   full_factor=full_factor["reward"]))
    elif name == "select":
        round_rows.append(dict(phase="select", load=None, model="-", seconds=secs, peak_rss_mib=None, tokens=None,
                               tokens_what="",
                               extrapolated_s=secs * PER_ROUND / P, full_factor=None if scale == "tiny" else 1.0))
    elif name == "train":
        rc, _, line = extra.partition("|")
        m = re.search(r"model load ([\d.]+) s, ([\d.]+) s per step, (\d+) tokens trained", line)
        steps = re.search(r"\((\d+) steps?", line)
        plan = re.search(r"memory plan ([\d.,]+ [MG]iB)", line)
        tokens = int(m.group(3)) if m else None
        ext = None
        if m and steps and tokens:
            variable = float(m.group(2)) * int(steps.group(1))
            fixed = max(secs - variable, 0)
            per_winner = tokens / max(len(winners), 1) - mean_answer + A
            ext = fixed + variable * PER_ROUND * per_winner / tokens
        round_rows.append(dict(phase="train", load=load, model=model, seconds=secs, peak_rss_mib=peak_mib,
                               tokens=tokens,
                               tokens_what="trained", extrapolated_s=ext, full_factor=full_factor["policy"],
                               trainer=line.strip() or f"failed (exit {rc})",
                               memory_plan=plan.group(1) if plan else None))
for r in round_rows:
    r["tokens_per_s"] = round(r["tokens"] / r["seconds"], 1) if r.get("tokens") and r["seconds"] else None
    r["seconds"] = round(r["seconds"], 2)
    if r["extrapolated_s"] is not None:
        r["extrapolated_s"] = round(r["extrapolated_s"])
        f = r["full_factor"]
        r["full_shape_s"] = None if f is None else round(r["extrapolated_s"] * f)
    else:
        r["full_shape_s"] = None
    r["full_factor"] = None if r["full_factor"] is None else round(r["full_factor"], 2)

report = {
    "script": "bench/round.sh", "scale": scale,
    "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    "machine": {"cpu": env["CPU"], "cpu_id": env["CPU_FAMILY"], "cores": os.cpu_count(),
                "memory_gib": round(int(env["MEM_TOTAL"]) / 2**30, 1), "gpu": env["GPU"] or None},
    "merlinite": env["VERSION"], "threads": THREADS, "peak_memory_from": env["PEAK_FROM"],
    "measured": {"prompts": P, "samples_per_prompt": N, "max_tokens": MAX_TOKENS, "prompt_tokens": prompt_tokens,
                 "generated_tokens": generated, "mean_answer_tokens": round(mean_answer, 1),
                 "samples_at_max_tokens": hit_max, "winners": len(winners)},
    "extrapolated_to": {"prompts": PER_ROUND, "samples_per_prompt": N, "answer_tokens": A,
                        "generated_tokens": target_generated, "reward_tokens_per_model": round(target_reward)},
    "prepare": prep, "round": round_rows,
}
json.dump(report, open(os.path.join(work, "round.json"), "w"), indent=1)
cols = ["phase", "model", "seconds", "peak_rss_mib", "tokens", "tokens_per_s", "load", "extrapolated_s", "full_factor",
        "full_shape_s"]
with open(os.path.join(work, "round.tsv"), "w") as f:
    f.write("\t".join(cols) + "\n")
    for r in round_rows:
        f.write("\t".join("" if r.get(c) is None else str(r[c]) for c in cols) + "\n")

def fmt(x, d=0):
    if x is None: return "–"
    return f"{x:,.{d}f}"
def dur(s):
    if s is None: return "–"
    return f"{s:,.0f} s" if s < 600 else (f"{s/60:,.0f} min" if s < 36000 else f"{s/3600:,.1f} h")
print(f"# bench/round.sh --scale {scale}, {report['date']}")
print(f"machine: {report['machine']['cpu']} ({report['machine']['cpu_id']}), {report['machine']['cores']} cores, "
      f"{report['machine']['memory_gib']} GiB{', ' + report['machine']['gpu'] if report['machine']['gpu'] else ''}; "
      f"merlinite {report['merlinite']}; threads {THREADS or 'one per core'}")
print()
print("Preparing the models (not part of the round):")
print()
print("| step | command | seconds | peak RSS MiB | file | load |")
print("|---|---|---|---|---|---|")
for p in prep:
    size = f"{p['file_bytes'] / 1e9:.2f} GB" if p["file_bytes"] else "–"
    secs = "kept" if p["kept"] else fmt(p["seconds"], 1)
    print(f"| {p['step']} | `{p['what']}` | {secs} | {fmt(p['peak_rss_mib'])} | {size} | {fmt(p['load'], 2)} |")
print()
print(f"The round: {P} prompts x {N} samples x <= {MAX_TOKENS} tokens ({generated:,} generated, mean answer "
      f"{mean_answer:.1f} tokens,\n{hit_max} of {n_samples} at the limit; {prompt_tokens:,} prompt tokens), "
      f"extrapolated to {PER_ROUND} x {N} x {A} tokens:")
print()
print("| phase | model | seconds | peak RSS MiB | tokens | tokens/s | load | extrapolated, this shape | shape factor | "
      "full shape |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in round_rows:
    factor = "" if r["full_factor"] in (None, 1.0) else f"{r['full_factor']}x"
    print(f"| {r['phase']} | {r['model']} | {fmt(r['seconds'], 1)} | {fmt(r['peak_rss_mib'])} | "
          f"{fmt(r['tokens'])}{' ' + r['tokens_what'] if r.get('tokens') else ''} | {fmt(r['tokens_per_s'], 1)} | "
          f"{fmt(r['load'], 2)} | {dur(r['extrapolated_s'])} | {factor} | {dur(r['full_shape_s'])} |")
def total_of(k):
    values = [r[k] for r in round_rows if r.get(k) is not None]
    return sum(values) if values else None
total = [total_of(k) for k in ("seconds", "extrapolated_s", "full_shape_s")]
peak = max((r["peak_rss_mib"] or 0) for r in round_rows)
print(f"| **round** | | {fmt(total[0], 1)} | {fmt(peak)} (largest) | | | | {dur(total[1])} | | {dur(total[2])} |")
for r in round_rows:
    if r["phase"] == "train":
        print(); print(f"trainer: {r['trainer']}")
print()
print(f"tables: {os.path.join(work, 'round.json')}, {os.path.join(work, 'round.tsv')}")
PY
