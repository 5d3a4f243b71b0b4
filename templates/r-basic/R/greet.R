# The project's functions: R/main.R runs them, tests/testthat tests them.
greet <- function(greeting, who, times = 1L) {
  rep(sprintf("%s, %s!", greeting, who), times)
}
