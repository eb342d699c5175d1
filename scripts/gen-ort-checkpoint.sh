#!/bin/sh
# Regenerates src/train/ort/generated/ from ORT's FlatBuffer schemas in src/train/ort/schema/
# (ort_training_checkpoint.fbs and the ort.fbs it includes, copied from microsoft/onnxruntime,
# onnxruntime/core/flatbuffers/schema/, MIT licence).
#
# Needs flatc 2.0.8 (Debian 12: apt-get install flatbuffers-compiler), whose TypeScript output
# matches the `flatbuffers` npm package pinned in package.json (2.0.7: the 2.0.x runtime API,
# flatbuffers.Builder / ByteBuffer / Encoding). Two post-processing steps, both mechanical:
#  - only the checkpoint's tables and what they import are kept (ort.fbs also describes ORT's
#    model format, which we do not read); --gen-all is needed because Tensor lives in ort.fbs;
#  - relative imports get a `.js` suffix, which TypeScript's NodeNext resolution requires
#    (flatc 2.0.8 has no option for it).
set -eu
cd "$(dirname "$0")/.."
want=2.0.8
have=$(flatc --version | awk '{print $3}')
[ "$have" = "$want" ] || { echo "flatc $want needed (found $have)" >&2; exit 2; }
out=src/train/ort/generated
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flatc --ts --gen-all -o "$tmp" src/train/ort/schema/ort_training_checkpoint.fbs
rm -rf "$out"
mkdir -p "$out/onnxruntime/fbs"
# The import closure of the root table (flatc's index file re-exports all of ort.fbs: not kept).
queue=onnxruntime/fbs/checkpoint.ts
seen=
while [ -n "$queue" ]; do
  set -- $queue; f=$1; shift; queue="$*"
  case " $seen " in *" $f "*) continue ;; esac
  seen="$seen $f"
  dir=$(dirname "$f")
  for dep in $(grep -o "from '\./[^']*'\|from '\.\./[^']*'" "$tmp/$f" | sed "s/from '//; s/'$//"); do
    rel=$(realpath -m --relative-to="$tmp" "$tmp/$dir/$dep.ts")
    queue="$queue $rel"
  done
done
for f in $seen; do
  mkdir -p "$out/$(dirname "$f")"
  sed -E "s#(from '\.{1,2}/[^']*)'#\1.js'#" "$tmp/$f" > "$out/$f"
done
echo "generated $(echo $seen | wc -w) files in $out with flatc $have"
