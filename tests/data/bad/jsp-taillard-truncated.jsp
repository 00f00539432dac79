2 2
Times
1 2
3 4
Machines
1 2
