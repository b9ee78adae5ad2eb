# Sourced by dev63-evaluate.sh and dev64-evaluate.sh (with DATA and CACHE set).
# export_and_evaluate DIR TSV NAME DATASET PROTOCOL FLAGS CKPT...: export the checkpoints as one ONNX
# ensemble DIR/NAME.onnx (FLAGS: more export flags, "" or --mirror), evaluate it through ONNX Runtime
# on DATASET / PROTOCOL into DIR/NAME.json (both kept: a second call only reads the JSON) and append
# "NAME<tab>top1<tab>early40" to TSV.
export_and_evaluate() {
  local dir="$1" tsv="$2" name="$3" dataset="$4" protocol="$5" flags="$6"
  shift 6
  if [ ! -f "$dir/$name.json" ]; then
    # shellcheck disable=SC2086  # FLAGS: zero or more words
    skelapp export --checkpoint "$@" $flags --out "$dir/$name.onnx" --data "$DATA" --cache-dir "$CACHE" \
      > "$dir/$name.export.log" 2>&1
    skelapp evaluate --model "$dir/$name.onnx" --dataset "$dataset" --protocol "$protocol" --data "$DATA" \
      --cache-dir "$CACHE" --json > "$dir/$name.json"
  fi
  python3 -c 'import json, sys; r = json.load(open(sys.argv[2]))
print("%s\t%.2f\t%.2f" % (sys.argv[1], r["top1"], r["early"]["0.4"]))' "$name" "$dir/$name.json" >> "$tsv"
}
