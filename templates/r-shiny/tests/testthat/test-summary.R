source(file.path("..", "..", "R", "summary.R"))

test_that("describe_sample names the number of draws", {
  expect_match(describe_sample(50), "^50 draws: mean ")
})
