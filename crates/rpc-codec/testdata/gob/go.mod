module netrpc.dev/gobtestdata

go 1.19
