# A 3x3 job shop in the OR-Library / JSPLIB format:
# first line "jobs machines", then per job "machine duration" pairs (machines 0-based).
# Optimal makespan 9 (brute force over machine orders); the dispatching rules reach 11.
3 3
0 4 2 3 1 1
0 1 2 1 1 4
1 3 2 1 0 3
