"""Side-by-side benchmarks of the hub's hot paths against a peer and a hardware limit.

A figure alone means little on a shared, noisy machine, so every benchmark here
runs cdchub, a well-known peer and the raw limit in the same run on the same
data, and prints ratios next to the absolute numbers.
"""
