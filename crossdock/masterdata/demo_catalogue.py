"""The vocabulary the demo loader builds its item master from.

A distributor's catalogue in ten families (food service, beverages, cleaning,
disposables, packaging, electrical, tools, fasteners, safety, office and
facility), 63 categories in up to three levels. Each leaf category lists the
items it sells, their variants and pack sizes, and a :class:`Family` says how
the family's items behave: unit of measure, tracking, shelf life, costing,
price range and weight. :mod:`crossdock.masterdata.demo` combines them with a
seeded random generator into realistic, reproducible SKUs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """How the items of one top-level category behave."""

    code: str
    name: str
    price_cents: tuple[int, int]  # list price range in the catalogue currency
    grams: tuple[int, int]
    lot_share: int = 0  # percent of items tracked by lot
    serial_share: int = 0  # percent tracked by serial number
    shelf_life_days: tuple[int, int] | None = None  # for lot-tracked (perishable) items
    costing: tuple[int, int, int] = (30, 60, 10)  # percent fifo, average, standard
    brands: tuple[str, ...] = ()


@dataclass(frozen=True)
class Leaf:
    """A category products are filed under, with what it sells."""

    path: str
    items: tuple[str, ...]
    variants: tuple[str, ...]
    packs: tuple[str, ...]
    unit: str = "H87"  # UNECE code of the base unit
    weighed_share: int = 0  # percent of items sold by weight (KGM) or length/volume


FAMILIES = (
    Family(
        "FS",
        "Food Service",
        (150, 6500),
        (250, 12000),
        lot_share=85,
        shelf_life_days=(10, 540),
        costing=(70, 30, 0),
        brands=("Hollandia", "Alpenhof", "Casa Verde", "Nordkyst", "Le Fermier", "Bakewell"),
    ),
    Family(
        "BV",
        "Beverages",
        (90, 4200),
        (330, 18000),
        lot_share=60,
        shelf_life_days=(120, 720),
        costing=(60, 40, 0),
        brands=("Aquarel", "Bergquelle", "Java Mill", "Teahouse 1837", "Fruitlane"),
    ),
    Family(
        "CL",
        "Cleaning & Hygiene",
        (120, 9800),
        (100, 22000),
        lot_share=25,
        shelf_life_days=(540, 1095),
        brands=("Cleanmaster", "Hygiplus", "Brillo Pro", "Ecoshine", "Tork-Line"),
    ),
    Family(
        "DP",
        "Disposables",
        (250, 5500),
        (200, 9000),
        brands=("Servo", "GreenServe", "Papyrus", "Duni-Line"),
    ),
    Family(
        "PK",
        "Packaging",
        (80, 14000),
        (50, 25000),
        brands=("Packwise", "Stretchmaster", "Kartonnix", "Tesa-Line", "Flexipack"),
    ),
    Family(
        "EL",
        "Electrical",
        (95, 38000),
        (20, 15000),
        lot_share=5,
        serial_share=8,
        shelf_life_days=(1825, 3650),
        costing=(20, 50, 30),
        brands=("Voltec", "Lumenta", "Kabelwerk", "Brightline", "Elmark"),
    ),
    Family(
        "TL",
        "Tools",
        (250, 89000),
        (40, 9000),
        serial_share=25,
        costing=(10, 50, 40),
        brands=("Stahlwerk", "ProGrip", "Bosk", "Makira", "Irontree"),
    ),
    Family(
        "FX",
        "Fasteners & Fixings",
        (4, 2500),  # per piece or per box; piece prices carry four decimals
        (1, 2500),
        costing=(0, 80, 20),
        brands=("Fixwell", "Spax-Line", "Boltex", "Ankerit"),
    ),
    Family(
        "SF",
        "Safety & PPE",
        (150, 16000),
        (30, 2000),
        lot_share=20,
        shelf_life_days=(730, 1825),
        brands=("Safeguard", "Uvex-Line", "HiVis Pro", "Steelcap", "MediKit"),
    ),
    Family(
        "OF",
        "Office & Facility",
        (60, 7500),
        (20, 12000),
        brands=("Officeline", "Labelix", "Penworks", "Facilitas"),
    ),
)

# Categories without products of their own (parents of third-level categories).
PARENTS = (
    "Food Service/Dry Goods",
    "Beverages/Coffee & Tea",
    "Electrical/Cables & Wires",
    "Electrical/Lighting",
    "Safety & PPE/Gloves",
)

LEAVES = (
    Leaf(
        "Food Service/Dairy & Eggs",
        ("Gouda cheese", "Cheddar", "Mozzarella", "Butter", "Whipping cream", "Eggs", "Yoghurt"),
        ("young", "mature", "sliced", "grated", "organic", "free-range", "lactose-free"),
        ("500 g", "1 kg", "2.5 kg", "box of 180", "tray of 30", "5 L bucket"),
        weighed_share=15,
    ),
    Leaf(
        "Food Service/Meat & Poultry",
        ("Chicken breast", "Beef burger", "Pork loin", "Smoked bacon", "Meatballs", "Turkey ham"),
        ("fresh", "marinated", "sliced", "skinless", "halal", "cooked"),
        ("per kg", "1 kg", "2 kg", "box of 40", "5 kg case"),
        unit="KGM",
        weighed_share=60,
    ),
    Leaf(
        "Food Service/Frozen Foods",
        ("French fries", "Mixed vegetables", "Puff pastry", "Fish fillet", "Ice cream", "Pizza"),
        ("thin cut", "steakhouse", "deep-frozen", "pre-baked", "vanilla", "margherita"),
        ("2.5 kg", "4 x 2.5 kg", "10 kg", "box of 24", "5 L tub"),
    ),
    Leaf(
        "Food Service/Dry Goods/Pasta & Rice",
        ("Spaghetti", "Penne", "Basmati rice", "Risotto rice", "Couscous", "Lasagne sheets"),
        ("durum wheat", "wholegrain", "parboiled", "gluten-free", "organic"),
        ("500 g", "3 kg", "5 kg", "10 kg sack", "20 kg sack"),
        weighed_share=10,
    ),
    Leaf(
        "Food Service/Dry Goods/Flour & Baking",
        ("Wheat flour", "Caster sugar", "Baking powder", "Cocoa powder", "Yeast", "Icing sugar"),
        ("type 405", "type 550", "fine", "organic", "instant", "fair trade"),
        ("1 kg", "5 kg", "10 kg", "25 kg sack"),
        weighed_share=20,
    ),
    Leaf(
        "Food Service/Sauces & Condiments",
        ("Mayonnaise", "Ketchup", "Mustard", "Barbecue sauce", "Soy sauce", "Vinaigrette"),
        ("classic", "light", "spicy", "sachets", "squeeze bottle", "organic"),
        ("500 ml", "1 L", "3 L", "5 L", "box of 200 sachets", "10 L bag-in-box"),
    ),
    Leaf(
        "Food Service/Oils & Fats",
        ("Sunflower oil", "Olive oil", "Frying fat", "Rapeseed oil", "Margarine"),
        ("extra virgin", "refined", "high oleic", "liquid", "block"),
        ("1 L", "5 L", "10 L", "20 L bag-in-box", "15 kg"),
        unit="LTR",
        weighed_share=25,
    ),
    Leaf(
        "Beverages/Coffee & Tea/Coffee Beans",
        ("Coffee beans", "Ground coffee", "Espresso beans", "Decaf coffee", "Coffee pads"),
        ("medium roast", "dark roast", "single origin", "fair trade", "organic"),
        ("250 g", "500 g", "1 kg", "box of 100"),
    ),
    Leaf(
        "Beverages/Coffee & Tea/Tea",
        ("Black tea", "Green tea", "Herbal tea", "Rooibos", "Chai"),
        ("Earl Grey", "English breakfast", "mint", "lemon", "camomile", "organic"),
        ("box of 20", "box of 100", "500 g loose"),
    ),
    Leaf(
        "Beverages/Soft Drinks",
        ("Cola", "Lemonade", "Orange soda", "Iced tea", "Tonic water", "Energy drink"),
        ("regular", "zero sugar", "light", "peach", "sparkling"),
        ("330 ml can x 24", "500 ml PET x 24", "1.5 L x 6", "200 ml glass x 24"),
    ),
    Leaf(
        "Beverages/Water",
        ("Mineral water", "Spring water", "Sparkling water", "Flavoured water"),
        ("still", "sparkling", "lightly sparkling", "lemon", "cucumber"),
        ("500 ml x 24", "1.5 L x 6", "750 ml glass x 12", "18.9 L cooler bottle"),
    ),
    Leaf(
        "Beverages/Juices",
        ("Orange juice", "Apple juice", "Multivitamin juice", "Tomato juice", "Smoothie"),
        ("not from concentrate", "with pulp", "cloudy", "organic", "mango"),
        ("200 ml x 24", "1 L x 12", "3 L bag-in-box", "5 L bag-in-box"),
    ),
    Leaf(
        "Cleaning & Hygiene/Detergents",
        ("All-purpose cleaner", "Dishwasher detergent", "Laundry detergent", "Degreaser"),
        ("concentrate", "fragrance-free", "eco", "heavy duty", "tablets", "liquid"),
        ("1 L", "5 L", "10 L", "20 L", "box of 200 tablets"),
        unit="H87",
        weighed_share=10,
    ),
    Leaf(
        "Cleaning & Hygiene/Disinfectants",
        ("Surface disinfectant", "Hand sanitiser", "Disinfectant wipes", "Chlorine tablets"),
        ("alcohol-based", "alcohol-free", "food-safe", "spray", "gel"),
        ("500 ml", "1 L", "5 L", "tub of 200", "box of 150"),
    ),
    Leaf(
        "Cleaning & Hygiene/Floor Care",
        ("Floor cleaner", "Floor polish", "Mop head", "Microfibre cloth", "Scrubber pad"),
        ("neutral", "alkaline", "cotton", "blue", "red", "40 cm", "50 cm"),
        ("5 L", "10 L", "pack of 10", "pack of 50", "each"),
    ),
    Leaf(
        "Cleaning & Hygiene/Paper Hygiene",
        ("Toilet paper", "Hand towels", "Centrefeed roll", "Jumbo roll", "Kitchen roll"),
        ("2-ply", "3-ply", "recycled", "white", "Z-fold", "C-fold"),
        ("pack of 6", "case of 36", "case of 12 rolls", "case of 3750 sheets"),
    ),
    Leaf(
        "Cleaning & Hygiene/Hand Care",
        ("Hand soap", "Foam soap", "Hand cream", "Hand cleaner"),
        ("sensitive", "perfumed", "industrial", "refill", "pump bottle"),
        ("500 ml", "1 L cartridge", "5 L", "box of 6 cartridges"),
    ),
    Leaf(
        "Disposables/Cups & Lids",
        ("Coffee cup", "Cold cup", "Cup lid", "Soup container", "Portion cup"),
        ("8 oz", "12 oz", "16 oz", "compostable", "PET", "paper"),
        ("sleeve of 50", "case of 1000", "case of 500", "case of 2000"),
    ),
    Leaf(
        "Disposables/Cutlery",
        ("Fork", "Knife", "Spoon", "Cutlery set", "Stirrer"),
        ("wooden", "CPLA", "bamboo", "wrapped", "heavy duty"),
        ("box of 100", "case of 1000", "case of 250 sets"),
    ),
    Leaf(
        "Disposables/Plates & Bowls",
        ("Plate", "Bowl", "Meal box", "Pizza box", "Salad bowl"),
        ("sugarcane", "cardboard", "22 cm", "26 cm", "750 ml", "kraft"),
        ("pack of 50", "case of 500", "case of 100", "case of 300"),
    ),
    Leaf(
        "Disposables/Napkins",
        ("Napkin", "Dinner napkin", "Cocktail napkin", "Dispenser napkin"),
        ("1-ply", "2-ply", "3-ply", "white", "black", "bordeaux", "airlaid"),
        ("pack of 100", "case of 2000", "case of 1200", "case of 3000"),
    ),
    Leaf(
        "Packaging/Boxes & Cartons",
        ("Shipping box", "Moving box", "Folding carton", "Archive box", "Pallet box"),
        ("single wall", "double wall", "brown", "white", "with lid"),
        ("305x215x110 mm", "400x300x300 mm", "600x400x400 mm", "bundle of 25", "each"),
    ),
    Leaf(
        "Packaging/Stretch & Shrink Film",
        ("Hand stretch film", "Machine stretch film", "Shrink film", "Bundling film"),
        ("17 µm", "20 µm", "23 µm", "black", "transparent", "pre-stretched"),
        ("500 mm x 300 m", "500 mm x 1500 m", "roll", "pallet of 48 rolls"),
    ),
    Leaf(
        "Packaging/Tapes",
        ("Packing tape", "Masking tape", "Duct tape", "Strapping band", "Double-sided tape"),
        ("PP", "PVC", "paper", "low noise", "printed", "reinforced"),
        ("48 mm x 66 m", "25 mm x 50 m", "box of 36 rolls", "12 mm x 2000 m coil"),
    ),
    Leaf(
        "Packaging/Bags & Sacks",
        ("Refuse sack", "Carrier bag", "Zip bag", "Paper bag", "Pedal bin liner"),
        ("LDPE", "HDPE", "recycled", "70 L", "120 L", "kraft"),
        ("roll of 25", "box of 500", "case of 200", "case of 1000"),
    ),
    Leaf(
        "Packaging/Void Fill",
        ("Air cushions", "Bubble wrap", "Paper void fill", "Loose fill chips", "Foam sheet"),
        ("recycled", "anti-static", "biodegradable", "large cells", "small cells"),
        ("roll", "bag of 0.5 m³", "box", "500 mm x 100 m"),
    ),
    Leaf(
        "Electrical/Cables & Wires/Power Cables",
        ("Installation cable", "Flexible cable", "Armoured cable", "Extension lead"),
        ("3G1.5", "3G2.5", "5G2.5", "H07RN-F", "YMvK", "XVB"),
        ("per metre", "100 m drum", "50 m coil", "500 m drum"),
        unit="MTR",
        weighed_share=70,
    ),
    Leaf(
        "Electrical/Cables & Wires/Data Cables",
        ("Patch cable", "Installation cable", "HDMI cable", "USB-C cable", "Fibre patch lead"),
        ("Cat 6", "Cat 6A", "Cat 7", "1 m", "2 m", "5 m", "LSZH"),
        ("each", "305 m box", "pack of 10"),
    ),
    Leaf(
        "Electrical/Lighting/LED Lamps",
        ("LED bulb", "LED tube", "LED spot", "LED filament lamp", "LED corn lamp"),
        ("E27", "GU10", "T8 120 cm", "warm white", "cool white", "dimmable"),
        ("each", "pack of 10", "box of 25"),
    ),
    Leaf(
        "Electrical/Lighting/Luminaires",
        ("LED panel", "High-bay luminaire", "Batten", "Floodlight", "Emergency light"),
        ("60x60", "150 W", "IP65", "4000 K", "with sensor", "3 h backup"),
        ("each",),
    ),
    Leaf(
        "Electrical/Switches & Sockets",
        ("Wall socket", "Light switch", "Junction box", "Circuit breaker", "RCD"),
        ("surface-mounted", "flush", "IP44", "16 A", "2-pole", "white", "anthracite"),
        ("each", "box of 10"),
    ),
    Leaf(
        "Electrical/Batteries",
        ("Alkaline battery", "Lithium battery", "Button cell", "Rechargeable battery"),
        ("AA", "AAA", "9 V", "CR2032", "D", "C"),
        ("pack of 4", "box of 24", "pack of 10", "box of 48"),
    ),
    Leaf(
        "Tools/Hand Tools",
        ("Screwdriver set", "Claw hammer", "Combination pliers", "Spanner set", "Utility knife"),
        ("insulated 1000 V", "fibreglass", "chrome vanadium", "8-piece", "metric"),
        ("each", "set"),
    ),
    Leaf(
        "Tools/Power Tools",
        ("Cordless drill", "Impact driver", "Angle grinder", "Jigsaw", "Rotary hammer"),
        ("18 V", "12 V", "125 mm", "brushless", "SDS-plus", "with 2 batteries"),
        ("each", "in case"),
    ),
    Leaf(
        "Tools/Measuring Tools",
        ("Tape measure", "Spirit level", "Laser distance meter", "Cross-line laser", "Caliper"),
        ("5 m", "8 m", "60 cm", "100 cm", "50 m range", "digital"),
        ("each",),
    ),
    Leaf(
        "Tools/Tool Storage",
        ("Tool box", "Tool trolley", "Organiser case", "Tool bag", "Workbench"),
        ("steel", "plastic", "7 drawers", "stackable", "48 cm", "heavy duty"),
        ("each",),
    ),
    Leaf(
        "Fasteners & Fixings/Screws",
        ("Wood screw", "Chipboard screw", "Drywall screw", "Self-tapping screw", "Deck screw"),
        ("3.5x30", "4x40", "5x60", "6x80", "zinc-plated", "stainless A2", "Torx"),
        ("per piece", "box of 200", "box of 500", "box of 1000"),
    ),
    Leaf(
        "Fasteners & Fixings/Bolts & Nuts",
        ("Hex bolt", "Carriage bolt", "Hex nut", "Washer", "Threaded rod"),
        ("M6", "M8", "M10", "M12", "8.8", "stainless A4", "hot-dip galvanised"),
        ("per piece", "box of 100", "box of 50", "1 m"),
    ),
    Leaf(
        "Fasteners & Fixings/Anchors & Plugs",
        ("Nylon plug", "Frame anchor", "Chemical anchor", "Hollow wall anchor", "Wedge anchor"),
        ("6 mm", "8 mm", "10 mm", "300 ml cartridge", "M8x75"),
        ("per piece", "box of 100", "box of 50", "each"),
    ),
    Leaf(
        "Safety & PPE/Gloves/Disposable Gloves",
        ("Nitrile gloves", "Vinyl gloves", "Latex gloves", "PE gloves"),
        ("powder-free", "size S", "size M", "size L", "size XL", "blue", "black"),
        ("box of 100", "case of 1000", "box of 200"),
    ),
    Leaf(
        "Safety & PPE/Gloves/Work Gloves",
        ("Assembly gloves", "Cut-resistant gloves", "Winter gloves", "Leather gloves"),
        ("size 8", "size 9", "size 10", "level C", "PU-coated", "nitrile foam"),
        ("pair", "pack of 12 pairs"),
    ),
    Leaf(
        "Safety & PPE/Eye Protection",
        ("Safety glasses", "Goggles", "Face shield", "Over-glasses"),
        ("clear", "tinted", "anti-fog", "EN 166", "UV 400"),
        ("each", "box of 10"),
    ),
    Leaf(
        "Safety & PPE/Hi-Vis Clothing",
        ("Hi-vis vest", "Hi-vis jacket", "Hi-vis trousers", "Softshell jacket"),
        ("yellow", "orange", "size M", "size L", "size XL", "class 2", "class 3"),
        ("each",),
    ),
    Leaf(
        "Safety & PPE/Safety Footwear",
        ("Safety shoe", "Safety boot", "Wellington boot", "Kitchen clog"),
        ("S3", "S1P", "size 40", "size 42", "size 44", "size 46", "ESD"),
        ("pair",),
    ),
    Leaf(
        "Safety & PPE/First Aid",
        ("First aid kit", "Plasters", "Eye wash bottle", "Burn gel", "Bandage"),
        ("DIN 13157", "catering blue", "elastic", "500 ml", "sterile"),
        ("each", "box of 100", "refill"),
    ),
    Leaf(
        "Office & Facility/Paper & Labels",
        ("Copy paper", "Shipping label", "Thermal roll", "Barcode label", "Envelope"),
        ("A4 80 g", "A3", "100x150 mm", "57 mm", "C4", "recycled"),
        ("ream of 500", "box of 5 reams", "roll of 500", "box of 250"),
    ),
    Leaf(
        "Office & Facility/Writing Supplies",
        ("Ballpoint pen", "Permanent marker", "Highlighter", "Whiteboard marker", "Pencil"),
        ("blue", "black", "assorted", "fine", "chisel tip"),
        ("box of 10", "box of 50", "pack of 4"),
    ),
    Leaf(
        "Office & Facility/Facility Supplies",
        ("Waste bin", "Pedal bin", "Wet floor sign", "Doormat", "Ashtray bin"),
        ("50 L", "120 L", "stainless steel", "grey", "85x150 cm", "fire-resistant"),
        ("each",),
    ),
)

# Weighed, measured or poured items of a leaf use this base unit instead of a piece.
WEIGHED_UNITS = {"H87": "KGM", "KGM": "KGM", "LTR": "LTR", "MTR": "MTR"}

OVERSEAS_SUPPLIER_TOWNS = (
    ("CN", "Ningbo"),
    ("CN", "Shenzhen"),
    ("CN", "Xiamen"),
    ("CN", "Qingdao"),
    ("CN", "Suzhou"),
    ("CN", "Foshan"),
    ("US", "Chicago"),
    ("US", "Atlanta"),
    ("US", "Dallas"),
    ("TR", "Bursa"),
    ("IN", "Pune"),
    ("VN", "Binh Duong"),
)
OVERSEAS_WORDS = (
    "Everbright",
    "Goldstar",
    "Harmony",
    "Pacific",
    "Sunrise",
    "Greatwall",
    "Silverline",
    "Orient",
    "Brightway",
    "Unity",
    "Summit",
    "Evergreen",
)
OVERSEAS_TRADES = (
    "Industrial",
    "Packaging",
    "Hardware",
    "Electric",
    "Plastics",
    "Paper Products",
    "Safety Products",
    "Tools",
)
CUSTOMER_TRADES = {
    "nl_NL": ("Restaurant", "Hotel", "Brasserie", "Schoonmaakbedrijf", "Installatiebedrijf"),
    "nl_BE": ("Restaurant", "Hotel", "Brasserie", "Schoonmaak", "Bouwbedrijf"),
    "de_DE": ("Gasthaus", "Hotel", "Gebäudereinigung", "Elektro", "Bäckerei"),
    "fr_FR": ("Restaurant", "Hôtel", "Boulangerie", "Nettoyage", "Électricité"),
    "en_GB": ("Catering", "Hotel", "Cleaning Services", "Electrical", "Builders"),
}
