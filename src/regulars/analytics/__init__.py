"""Read side: Ibis analytics over the store and the CLV models (numpy/scipy)."""
