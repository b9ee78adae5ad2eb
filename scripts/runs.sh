# Sourced by train_default.sh and train_msr.sh: the list of runs and the parallel launcher.

# plan_runs DIR [PREFIX]: sets RUNS to "DIR/PREFIX<stream>[_s<seed>]:<stream>:<seed>", one per seed
# in SEEDS and stream in STREAMS, in that order (seed 0 has no suffix).
plan_runs() {
  RUNS=()
  local seed stream suffix
  for seed in $SEEDS; do
    suffix=""
    if [ "$seed" != 0 ]; then suffix="_s$seed"; fi
    for stream in $STREAMS; do RUNS+=("$1/${2:-}$stream$suffix:$stream:$seed"); done
  done
}

# train_runs N FUNC: calls `FUNC RUN STREAM SEED` for each entry of RUNS, N at a time in that order,
# in the background with its output in RUN.log; exits naming the log of a run that failed.
train_runs() {
  local n="$1" func="$2" i j job run stream seed pids names
  for ((i = 0; i < ${#RUNS[@]}; i += n)); do
    pids=() names=()
    for job in "${RUNS[@]:i:n}"; do
      IFS=: read -r run stream seed <<< "$job"
      "$func" "$run" "$stream" "$seed" > "$run.log" 2>&1 &
      pids+=("$!") names+=("$run")
    done
    for j in "${!pids[@]}"; do
      wait "${pids[$j]}" || { echo "training ${names[$j]} failed: see ${names[$j]}.log" >&2; exit 1; }
    done
  done
}
