for (file in list.files(file.path("..", "..", "R"), full.names = TRUE)) source(file)

test_that("mean_of averages parsed values", {
  expect_equal(mean_of(parse_values("1, 3")), 2)
  expect_error(mean_of(numeric()), "no values")
})
