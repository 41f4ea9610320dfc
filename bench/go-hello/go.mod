module tinyx.bench/go-hello

go 1.19
