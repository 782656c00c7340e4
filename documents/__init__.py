"""What is printed or exported, not mailed: the PDF printer, the chronology, the chart."""
