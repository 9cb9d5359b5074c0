# examples/electron-app/helpers/hasher.py: started by server.spawn('python3', ['helpers/hasher.py'], { name: 'py-hasher' })
import hashlib

from ipcio import Client

client = Client()  # IPCIO_SOCKET, IPCIO_NAME, IPCIO_TOKEN


@client.handler("hash")
def hash_file(call):
    with open(call.data["path"], "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


client.connect(timeout=5)
client.run_forever()
