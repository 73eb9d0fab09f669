# Print today's reading for one weather station.
import os

import requests
from dotenv import load_dotenv
from rich import print

from units import celsius_to_fahrenheit

load_dotenv()  # copy the settings in .env into os.environ
station = os.environ.get("STATION", "ZRH")

# The request that would download the station's data (built, not sent).
request = requests.Request("GET", "https://data.example.org/daily", params={"station": station})
print("Source:", request.prepare().url)

celsius = 21.5
print(f"[bold]{station}[/bold]: {celsius} °C = {celsius_to_fahrenheit(celsius)} °F")
