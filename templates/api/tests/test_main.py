from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_health() -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_predict() -> None:
    response = client.get("/predict", params={"x": 2})
    assert response.json() == {"x": 2.0, "y": 5.0}


def test_predict_rejects_text() -> None:
    assert client.get("/predict", params={"x": "abc"}).status_code == 422


def test_the_address_brain_prints_answers() -> None:
    response = client.get("/")
    assert response.status_code == 200 and "swagger" in response.text.lower()
