module netdoctor.lab/kube-router

go 1.22.0

require github.com/cloudnativelabs/kube-router v1.6.1
