#' Numbers from comma-separated text: "1,2,3" -> c(1, 2, 3).
parse_values <- function(text) {
  parts <- trimws(strsplit(text, ",", fixed = TRUE)[[1]])
  as.numeric(parts[nzchar(parts)])
}

#' The mean of `values`, an error for none.
mean_of <- function(values) {
  if (length(values) == 0) stop("no values")
  mean(values)
}
