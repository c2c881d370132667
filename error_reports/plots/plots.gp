reset
set terminal pngcairo size 1200,500 font ',10'
set output 'error_reports/plots/poly_uniform.png'
set multiplot layout 1,2 title '1/poly(n): normwise error of the approx path (uniform inputs, R fixed), g = smallest even degree with eps(g,R) <= n^-c'
set logscale xy; set format y '10^{%L}'; set key bottom left font ',8'; set grid
set xlabel 'n'; set ylabel '||approx - truth|| / ||truth||'
set title 'c = 1'
plot 'error_reports/plots/poly_uniform.dat' index 0 using 1:4 with linespoints title 'act', 'error_reports/plots/poly_uniform.dat' index 0 using 1:6 with linespoints title 'dx', 'error_reports/plots/poly_uniform.dat' index 0 using 1:7 with linespoints title 'dWq', 'error_reports/plots/poly_uniform.dat' index 0 using 1:8 with linespoints title 'dWk', 'error_reports/plots/poly_uniform.dat' index 0 using 1:9 with linespoints title 'dWv', 'error_reports/plots/poly_uniform.dat' index 0 using 1:10 with linespoints title 'dWo', 'error_reports/plots/poly_uniform.dat' index 2 using 1:4 with linespoints dt 3 lc 'gray' title 'act, g = 4 at every n', 'error_reports/plots/poly_uniform.dat' index 0 using 1:22 with lines dt 2 lw 2 lc 'black' title 'n^{-1}'
set title 'c = 2'
plot 'error_reports/plots/poly_uniform.dat' index 1 using 1:4 with linespoints title 'act', 'error_reports/plots/poly_uniform.dat' index 1 using 1:6 with linespoints title 'dx', 'error_reports/plots/poly_uniform.dat' index 1 using 1:7 with linespoints title 'dWq', 'error_reports/plots/poly_uniform.dat' index 1 using 1:8 with linespoints title 'dWk', 'error_reports/plots/poly_uniform.dat' index 1 using 1:9 with linespoints title 'dWv', 'error_reports/plots/poly_uniform.dat' index 1 using 1:10 with linespoints title 'dWo', 'error_reports/plots/poly_uniform.dat' index 2 using 1:4 with linespoints dt 3 lc 'gray' title 'act, g = 4 at every n', 'error_reports/plots/poly_uniform.dat' index 1 using 1:22 with lines dt 2 lw 2 lc 'black' title 'n^{-2}'
unset multiplot
reset
set terminal pngcairo size 1200,500 font ',10'
set output 'error_reports/plots/ratio_uniform.png'
set multiplot layout 1,2 title 'measured error / proven bound (element-wise max), uniform inputs: <= 1 everywhere means the bound held'
set logscale xy; set format y '10^{%L}'; set key bottom left font ',8'; set grid
set xlabel 'n'; set ylabel 'max_e |err_e| / bound_e'
set title 'c = 1'
plot 'error_reports/plots/poly_uniform.dat' index 0 using 1:13 with linespoints title 'act', 'error_reports/plots/poly_uniform.dat' index 0 using 1:14 with linespoints title 'loss', 'error_reports/plots/poly_uniform.dat' index 0 using 1:15 with linespoints title 'dx', 'error_reports/plots/poly_uniform.dat' index 0 using 1:16 with linespoints title 'dWq', 'error_reports/plots/poly_uniform.dat' index 0 using 1:17 with linespoints title 'dWk', 'error_reports/plots/poly_uniform.dat' index 0 using 1:18 with linespoints title 'dWv', 'error_reports/plots/poly_uniform.dat' index 0 using 1:19 with linespoints title 'dWo', 'error_reports/plots/poly_uniform.dat' index 0 using 1:20 with linespoints title 'dcot', 1 with lines lw 2 lc 'red' title 'bound'
set title 'c = 2'
plot 'error_reports/plots/poly_uniform.dat' index 1 using 1:13 with linespoints title 'act', 'error_reports/plots/poly_uniform.dat' index 1 using 1:14 with linespoints title 'loss', 'error_reports/plots/poly_uniform.dat' index 1 using 1:15 with linespoints title 'dx', 'error_reports/plots/poly_uniform.dat' index 1 using 1:16 with linespoints title 'dWq', 'error_reports/plots/poly_uniform.dat' index 1 using 1:17 with linespoints title 'dWk', 'error_reports/plots/poly_uniform.dat' index 1 using 1:18 with linespoints title 'dWv', 'error_reports/plots/poly_uniform.dat' index 1 using 1:19 with linespoints title 'dWo', 'error_reports/plots/poly_uniform.dat' index 1 using 1:20 with linespoints title 'dcot', 1 with lines lw 2 lc 'red' title 'bound'
unset multiplot
unset logscale; unset format
reset
set terminal pngcairo size 1200,500 font ',10'
set output 'error_reports/plots/poly_outlier.png'
set multiplot layout 1,2 title '1/poly(n): normwise error of the approx path (outlier inputs, R fixed), g = smallest even degree with eps(g,R) <= n^-c'
set logscale xy; set format y '10^{%L}'; set key bottom left font ',8'; set grid
set xlabel 'n'; set ylabel '||approx - truth|| / ||truth||'
set title 'c = 1'
plot 'error_reports/plots/poly_outlier.dat' index 0 using 1:4 with linespoints title 'act', 'error_reports/plots/poly_outlier.dat' index 0 using 1:6 with linespoints title 'dx', 'error_reports/plots/poly_outlier.dat' index 0 using 1:7 with linespoints title 'dWq', 'error_reports/plots/poly_outlier.dat' index 0 using 1:8 with linespoints title 'dWk', 'error_reports/plots/poly_outlier.dat' index 0 using 1:9 with linespoints title 'dWv', 'error_reports/plots/poly_outlier.dat' index 0 using 1:10 with linespoints title 'dWo', 'error_reports/plots/poly_outlier.dat' index 2 using 1:4 with linespoints dt 3 lc 'gray' title 'act, g = 4 at every n', 'error_reports/plots/poly_outlier.dat' index 0 using 1:22 with lines dt 2 lw 2 lc 'black' title 'n^{-1}'
set title 'c = 2'
plot 'error_reports/plots/poly_outlier.dat' index 1 using 1:4 with linespoints title 'act', 'error_reports/plots/poly_outlier.dat' index 1 using 1:6 with linespoints title 'dx', 'error_reports/plots/poly_outlier.dat' index 1 using 1:7 with linespoints title 'dWq', 'error_reports/plots/poly_outlier.dat' index 1 using 1:8 with linespoints title 'dWk', 'error_reports/plots/poly_outlier.dat' index 1 using 1:9 with linespoints title 'dWv', 'error_reports/plots/poly_outlier.dat' index 1 using 1:10 with linespoints title 'dWo', 'error_reports/plots/poly_outlier.dat' index 2 using 1:4 with linespoints dt 3 lc 'gray' title 'act, g = 4 at every n', 'error_reports/plots/poly_outlier.dat' index 1 using 1:22 with lines dt 2 lw 2 lc 'black' title 'n^{-2}'
unset multiplot
reset
set terminal pngcairo size 1200,500 font ',10'
set output 'error_reports/plots/ratio_outlier.png'
set multiplot layout 1,2 title 'measured error / proven bound (element-wise max), outlier inputs: <= 1 everywhere means the bound held'
set logscale xy; set format y '10^{%L}'; set key bottom left font ',8'; set grid
set xlabel 'n'; set ylabel 'max_e |err_e| / bound_e'
set title 'c = 1'
plot 'error_reports/plots/poly_outlier.dat' index 0 using 1:13 with linespoints title 'act', 'error_reports/plots/poly_outlier.dat' index 0 using 1:14 with linespoints title 'loss', 'error_reports/plots/poly_outlier.dat' index 0 using 1:15 with linespoints title 'dx', 'error_reports/plots/poly_outlier.dat' index 0 using 1:16 with linespoints title 'dWq', 'error_reports/plots/poly_outlier.dat' index 0 using 1:17 with linespoints title 'dWk', 'error_reports/plots/poly_outlier.dat' index 0 using 1:18 with linespoints title 'dWv', 'error_reports/plots/poly_outlier.dat' index 0 using 1:19 with linespoints title 'dWo', 'error_reports/plots/poly_outlier.dat' index 0 using 1:20 with linespoints title 'dcot', 1 with lines lw 2 lc 'red' title 'bound'
set title 'c = 2'
plot 'error_reports/plots/poly_outlier.dat' index 1 using 1:13 with linespoints title 'act', 'error_reports/plots/poly_outlier.dat' index 1 using 1:14 with linespoints title 'loss', 'error_reports/plots/poly_outlier.dat' index 1 using 1:15 with linespoints title 'dx', 'error_reports/plots/poly_outlier.dat' index 1 using 1:16 with linespoints title 'dWq', 'error_reports/plots/poly_outlier.dat' index 1 using 1:17 with linespoints title 'dWk', 'error_reports/plots/poly_outlier.dat' index 1 using 1:18 with linespoints title 'dWv', 'error_reports/plots/poly_outlier.dat' index 1 using 1:19 with linespoints title 'dWo', 'error_reports/plots/poly_outlier.dat' index 1 using 1:20 with linespoints title 'dcot', 1 with lines lw 2 lc 'red' title 'bound'
unset multiplot
unset logscale; unset format
reset
set terminal pngcairo size 1200,500 font ',10'
set output 'error_reports/plots/floors.png'
set multiplot layout 1,2 title 'approximation error against rounding floors (uniform inputs; normwise)'
set logscale xy; set format y '10^{%L}'; set key outside right font ',8'; set grid; set xlabel 'n'
set title 'act.layers.0 (attention output)'
plot 'error_reports/plots/floors.dat' using 1:2 w lp title 'approx c=1', '' using 1:3 w lp title 'approx c=2', '' using 1:4 w lp title 'exact32', '' using 1:5 w lp title 'exact64 (vs MPFR)', '' using 1:6 w lp title 'bf16 inputs'
set title 'grad.layers.0.wq'
plot 'error_reports/plots/floors.dat' using 1:7 w lp title 'approx c=1', '' using 1:8 w lp title 'approx c=2', '' using 1:9 w lp title 'exact32', '' using 1:10 w lp title 'exact64 (vs MPFR)', '' using 1:11 w lp title 'bf16 inputs'
unset multiplot
unset logscale; unset format
reset
set terminal pngcairo size 1200,450 font ',10'
set output 'error_reports/plots/depth.png'
set multiplot layout 1,3 title 'depth: per-layer normwise errors of the 8-layer model (Taylor g = 6, R = 1 per layer)'
set logscale y; set format y '10^{%L}'; set key bottom right font ',8'; set grid; set xlabel 'layer l'
set title 'plain'
plot 'error_reports/plots/depth.dat' index 0 using 1:2 w lp title 'act.layers.l', '' index 0 using 1:3 w lp title 'grad.act.layers.l', '' index 0 using 1:4 w lp dt 2 title 'fresh (this layer)', '' index 0 using 1:5 w lp dt 3 title 'carried (earlier layers)', '' index 0 using 1:6 w l lw 2 title 'proven bound on fresh (max-norm)'
set title 'residual+layernorm'
plot 'error_reports/plots/depth.dat' index 1 using 1:2 w lp title 'act.layers.l', '' index 1 using 1:3 w lp title 'grad.act.layers.l', '' index 1 using 1:4 w lp dt 2 title 'fresh (this layer)', '' index 1 using 1:5 w lp dt 3 title 'carried (earlier layers)', '' index 1 using 1:6 w l lw 2 title 'proven bound on fresh (max-norm)'
set title 'residual+layernorm+causal'
plot 'error_reports/plots/depth.dat' index 2 using 1:2 w lp title 'act.layers.l', '' index 2 using 1:3 w lp title 'grad.act.layers.l', '' index 2 using 1:4 w lp dt 2 title 'fresh (this layer)', '' index 2 using 1:5 w lp dt 3 title 'carried (earlier layers)', '' index 2 using 1:6 w l lw 2 title 'proven bound on fresh (max-norm)'
unset multiplot
unset logscale; unset format
reset
set terminal pngcairo size 1200,500 font ',10'
set output 'error_reports/plots/entry.png'
set multiplot layout 1,2 title 'entry bound B (n = 4096, d = 8, Q = K = V = X, |X_ij| <= B for uniform): degree for 1e-06 relative error, and time against exact64'
set grid; set key top left font ',8'; set xlabel 'B'; set logscale x
set arrow 1 from 2.88405, graph 0 to 2.88405, graph 1 nohead dt 2 lc 'red'
set label 1 'sqrt(ln n)' at 2.94173, graph 0.9 tc 'red'
set datafile missing '-1'
set title 'smallest even g meeting the target (missing: not met)'
set ylabel 'degree g'
plot 'error_reports/plots/entry.dat' index 0 using 1:2 w lp title 'taylor (measured)', '' index 0 using 1:3 w lp title 'chebyshev (measured)', '' index 0 using 1:4 w lp dt 2 title 'taylor (proven bound)', '' index 1 using 1:2 w lp title 'taylor, outlier inputs', '' index 1 using 1:3 w lp title 'chebyshev, outlier inputs'
set title 'approx time / exact64 time at the degree that met the target'
set logscale y; set ylabel 't_{approx} / t_{exact64}'
plot 'error_reports/plots/entry.dat' index 0 using 1:5 w lp title 'taylor', '' index 0 using 1:6 w lp title 'chebyshev', '' index 1 using 1:5 w lp title 'taylor, outlier inputs', '' index 1 using 1:6 w lp title 'chebyshev, outlier inputs', 1 w l lw 2 lc 'black' title 'break-even'
unset multiplot
unset logscale; unset arrow 1; unset label 1
