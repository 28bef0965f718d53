module github.com/idemsim/idemsim/tools/pgscript

go 1.26.8

require github.com/jackc/pgx/v5 v5.13.0

require (
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/text v0.41.0 // indirect
)

require (
	github.com/idemsim/idemsim v0.0.0
	github.com/stretchr/testify v1.12.1
)

// The runner shares the script parser and output format with the simulator.
replace github.com/idemsim/idemsim => ../..
