2 3 12345 678
Times
1 2 3
4 5 6
Machines
1 2 3
3 0 1
