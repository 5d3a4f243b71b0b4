source(file.path("..", "..", "R", "greet.R"), chdir = TRUE)

test_that("greet repeats the greeting", {
  expect_equal(greet("Hello", "Ada", 2L), c("Hello, Ada!", "Hello, Ada!"))
})
