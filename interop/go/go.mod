module netrpc.dev/interop

go 1.19
