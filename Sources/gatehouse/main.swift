import Gatehouse
print("gatehouse")
