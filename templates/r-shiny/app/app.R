# A Shiny app: `brain run` starts it on the `port` parameter and waits until it answers.
library(shiny)
source(file.path("..", "R", "summary.R"))

ui <- fluidPage(
  titlePanel("Random sample"),
  sliderInput("n", "Draws", min = 10, max = 1000, value = 100),
  plotOutput("histogram"),
  textOutput("summary")
)

server <- function(input, output) {
  output$histogram <- renderPlot(hist(rnorm(input$n), main = NULL, col = "grey"))
  output$summary <- renderText(describe_sample(input$n))
}

shinyApp(ui, server)
