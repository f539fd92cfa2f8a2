#!/bin/bash
# Builds a commit of this repository beside it for compare.sh: a detached worktree in ${AB_DIR:-/tmp}/ab-<commit>
# sharing this checkout's node_modules, with its dist/ built. Prints the directory.
# usage: bash bench/ab/checkout.sh <commit>
set -euo pipefail
root=$(git rev-parse --show-toplevel)
commit=$(git -C "$root" rev-parse --short "$1")
dir=${AB_DIR:-/tmp}/ab-$commit
if [ ! -f "$dir/dist/main.js" ]; then
  git -C "$root" worktree add --detach "$dir" "$commit" >/dev/null 2>&1 || true
  ln -sfn "$root/node_modules" "$dir/node_modules"
  (cd "$dir" && npx nest build >/dev/null)
fi
echo "$dir"
