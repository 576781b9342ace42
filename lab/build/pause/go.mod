module netdoctor.lab/pause

go 1.22.0
