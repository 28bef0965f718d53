#!/bin/bash
# One experiment as a Slurm job array: task I of N runs
# `idemsim experiment NAME --shard I/N` on its own node and writes its
# shard file into a shared directory; merge when the array is done:
#
#   jobid=$(sbatch --parsable --export=EXPERIMENT=swarm deploy/slurm-array.sh)
#   sbatch --dependency=afterok:$jobid --wrap 'idemsim merge --out results results/swarm/shard-*-of-8.json'
#
# Keep --array=0-(N-1) and SHARDS equal. idemsim must be on the PATH of the
# compute nodes (make install), and results/ on a shared file system.
#SBATCH --job-name=idemsim
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=512M
#SBATCH --time=00:30:00
#SBATCH --output=idemsim-%A_%a.log

set -euo pipefail
SHARDS=8
: "${EXPERIMENT:?set EXPERIMENT, e.g. sbatch --export=EXPERIMENT=swarm}"
exec idemsim experiment "$EXPERIMENT" --shard "$SLURM_ARRAY_TASK_ID/$SHARDS" \
	--workers "${SLURM_CPUS_PER_TASK:-1}" --out "${RESULTS:-results}"
