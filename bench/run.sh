#!/usr/bin/env bash
# run.sh - every benchmark, one after the other (make bench). Each prints
# its table and writes a CSV under bench/results/; this script adds the
# plot of discovery time and completeness against N (gnuplot) and a
# summary against the targets in docs/PERFORMANCE.md. Figures, not tests:
# nothing here passes or fails. BUILD, REPS and each script's own
# variables (SIZES, RATES, ...) tune it.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-$top/build}
results=$top/bench/results
mkdir -p "$results"
{
    echo "mcdisc benchmarks, $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr)"
} | tee "$results/machine.txt"
for b in discovery responder rate latency footprint delay_tradeoff ext_traffic; do
    echo
    echo "== $b"
    "$top/bench/$b.sh" || echo "bench: $b failed (exit $?)"
done

# The plot: time to the last reply and devices found, against N.
if command -v gnuplot >/dev/null && [ -s "$results/discovery.csv" ]; then
    awk -F, 'NR > 1 && $2 == "mcdisc" && $3 == "mcdisc discover" {print $1, $6, 100 * $4 / $1}' \
        "$results/discovery.csv" >"$results/plot_mcdisc.dat"
    awk -F, 'NR > 1 && $2 == "book" && $3 == "mcdisc discover" {print $1, $6, 100 * $4 / $1}' \
        "$results/discovery.csv" >"$results/plot_book.dat"
    awk -F, 'NR > 1 && $2 == "mcdisc" && $3 == "chapter" {print $1, $6, 100 * $4 / $1}' \
        "$results/discovery.csv" >"$results/plot_chapter.dat"
    gnuplot <<GP
set terminal png size 900,600
set output "$results/discovery.png"
set title "Discovery against the number of devices (medians)"
set xlabel "devices on the segment"
set ylabel "time to the last reply (ms)"
set y2label "devices found (%)"
set y2range [0:105]
set ytics nomirror
set y2tics
set key below box
set grid
plot "$results/plot_mcdisc.dat" using 1:2 with linespoints title "mcdisc discover, mcdisc devices: last reply (ms)", \
     "$results/plot_book.dat" using 1:2 with linespoints title "mcdisc discover, book-style devices: last reply (ms)", \
     "$results/plot_mcdisc.dat" using 1:3 axes x1y2 with linespoints title "mcdisc discover: found (%)", \
     "$results/plot_chapter.dat" using 1:3 axes x1y2 with linespoints title "chapter's algorithm: found (%)"
GP
    echo
    echo "plot: $results/discovery.png"
fi
echo "results: $results/*.csv"
