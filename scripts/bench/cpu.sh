#!/usr/bin/env bash
# Prints the CPU a benchmark runs on (model, family/model, the flags that decide
# its speed): figures from different CPUs are not comparable.
model=$(grep -m1 "^model name" /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
family=$(grep -m1 "^cpu family" /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
number=$(grep -m1 "^model[[:space:]]*:" /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
flags=$(grep -m1 "^flags" /proc/cpuinfo | tr ' ' '\n' | grep -x -E "avx2|fma|avx512f|avx512_vnni|avx512_bf16|amx_bf16|amx_tile" | tr '\n' ' ')
echo "cpu: $model (family/model $family/$number), $(nproc) cores; flags: ${flags:-none of avx2/avx512/amx}; ATEN_CPU_CAPABILITY=${ATEN_CPU_CAPABILITY:-auto}"
