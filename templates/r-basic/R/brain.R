# brain.R: read the typed parameters brain passes to an `r` entry point.
#
#   source("R/brain.R")
#   params <- brain_params()      # a named list: int -> integer, float -> double,
#                                 # bool -> logical, date -> Date, others -> character
#   horizon <- brain_param("horizon", 7L)
#
# brain sets BRAIN_PARAM_<name> (the name as declared) for each value, and BRAIN_PARAM_TYPES
# ("name:type,..."). Run by hand (`Rscript fit.R --horizon 3`), the `--name value`
# arguments are read instead, as text.
brain_params <- function() {
  types <- Sys.getenv("BRAIN_PARAM_TYPES", "")
  if (!nzchar(types)) return(.brain_arguments())
  values <- list()
  for (pair in strsplit(types, ",", fixed = TRUE)[[1]]) {
    name <- sub(":.*$", "", pair)
    type <- sub("^[^:]*:", "", pair)
    raw <- Sys.getenv(paste0("BRAIN_PARAM_", name), NA_character_)
    if (is.na(raw)) next
    values[[name]] <- switch(type,
      int = as.integer(raw),
      float = as.numeric(raw),
      bool = identical(raw, "true"),
      date = as.Date(raw),
      raw)
  }
  values
}

brain_param <- function(name, default = NULL) {
  value <- brain_params()[[name]]
  if (is.null(value)) default else value
}

.brain_arguments <- function() {
  args <- commandArgs(trailingOnly = TRUE)
  values <- list()
  i <- 1
  while (i <= length(args)) {
    arg <- args[[i]]
    if (startsWith(arg, "--") && grepl("=", arg, fixed = TRUE)) {
      values[[sub("=.*$", "", substring(arg, 3))]] <- sub("^[^=]*=", "", arg)
    } else if (startsWith(arg, "--") && i < length(args)) {
      values[[substring(arg, 3)]] <- args[[i + 1]]
      i <- i + 1
    }
    i <- i + 1
  }
  values
}
