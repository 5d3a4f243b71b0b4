# The `main` entry point: the package's functions on typed parameters (see scripts/brain.R).
source("scripts/brain.R")
for (file in list.files("R", full.names = TRUE)) source(file)

params <- brain_params()
cat("mean:", formatC(mean_of(parse_values(params$values)), format = "f",
                     digits = params$digits), "\n")
