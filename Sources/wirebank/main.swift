print("wirebank")
