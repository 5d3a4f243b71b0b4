# The `main` entry point: brain passes typed parameters (see R/brain.R).
source("R/brain.R")
source("R/greet.R")

params <- brain_params()
writeLines(greet(params$greeting, params$who, params$times))
message("date stamp: ", format(params$ds + 0, "%Y-%m-%d"), " (a ", class(params$ds), ")")
