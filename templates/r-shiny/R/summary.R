# The app's logic, kept out of app/app.R so that tests/testthat can test it without Shiny.
describe_sample <- function(n, seed = 1L) {
  set.seed(seed)
  values <- rnorm(n)
  sprintf("%d draws: mean %.3f, sd %.3f", n, mean(values), sd(values))
}
