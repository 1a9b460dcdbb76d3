print("magicpig")
