Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound
           3           3        1234        5678          11          10
Times
 3  2  2
 2  1  4
 4  3  0
Machines
 1  2  3
 1  3  2
 2  3  1
