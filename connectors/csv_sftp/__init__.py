"""CSV files from and to the ERP, over a local folder or SFTP."""

from connectors.csv_sftp.dialect import CsvDialect, CsvDialectOptions
from connectors.csv_sftp.reader import read_csv
from connectors.csv_sftp.source import CsvSnapshot, CsvSource, CsvSourceOptions
from connectors.csv_sftp.writeback import CsvWriteBack, CsvWriteBackOptions
from connectors.csv_sftp.writer import cell_text, write_csv

__all__ = [
    "CsvDialect",
    "CsvDialectOptions",
    "CsvSnapshot",
    "CsvSource",
    "CsvSourceOptions",
    "CsvWriteBack",
    "CsvWriteBackOptions",
    "cell_text",
    "read_csv",
    "write_csv",
]
