module netdoctor.lab/coredns

go 1.22.0

require github.com/coredns/coredns v1.11.3
