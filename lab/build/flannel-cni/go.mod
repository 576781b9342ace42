module netdoctor.lab/flannel-cni

go 1.22.0

require github.com/containernetworking/plugins v0.9.1
