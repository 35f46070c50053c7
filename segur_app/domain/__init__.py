"""Domain layer: plain Python services over SQLModel tables. Never imports Reflex."""
