#!/usr/bin/env bash
# Runs bench/gpu/trainer.sh here on the CPU, with a stand-in nvidia-smi, a tiny model for the 7B and bin/trainer, so
# the script's own logic is checked before GPU minutes are spent on it. Output: /tmp/merlinite-rehearse/gpu-trainer.md
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"; cd "$ROOT"
FAKE=$(mktemp -d); trap 'rm -rf "$FAKE"' EXIT
cat > "$FAKE/nvidia-smi" <<'SMI'
#!/usr/bin/env bash
case "$*" in
  *-lms*) while true; do echo 1000; sleep 0.1; done ;;
  *name*) echo "stand-in GPU, 24576 MiB, 0.0" ;;
  *) echo 1000 ;;
esac
SMI
chmod +x "$FAKE/nvidia-smi"
rm -rf /tmp/merlinite-rehearse /dev/shm/merlinite
PATH="$FAKE:$PATH" OUT=/tmp/merlinite-rehearse MERLINITE=bin/merlinite TRAINER=bin/trainer/Merlinite.Trainer DEVICE=cpu BIG="--preset tiny" \
  bash bench/gpu/trainer.sh
rm -rf /dev/shm/merlinite
